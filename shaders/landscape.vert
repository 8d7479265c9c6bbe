#version 330 core
// A full-screen quad without a vertex buffer: 4 vertices drawn as a triangle strip, the corner taken
// from gl_VertexID (0: bottom-left, 1: bottom-right, 2: top-left, 3: top-right).
out vec2 v_uv; // (0, 0) at the bottom-left corner of the widget, (1, 1) at the top-right

void main()
{
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    v_uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
