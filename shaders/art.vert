#version 330 core
// One image tile of the art canvas: a quad without a vertex buffer (4 vertices as a triangle strip,
// the corner from gl_VertexID), placed at u_rect in normalised device coordinates and showing the
// texture region u_uv, so that every tile shows the same zoomed part of its image.
uniform vec4 u_rect; // x0, y0, x1, y1 (NDC, y up)
uniform vec4 u_uv;   // u0, v0, u1, v1 (texture coordinates, v down: row 0 is the image's top row)
out vec2 v_uv;

void main()
{
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1)); // (0,0) bottom-left .. (1,1) top-right
    v_uv = vec2(mix(u_uv.x, u_uv.z, corner.x), mix(u_uv.w, u_uv.y, corner.y));
    gl_Position = vec4(mix(u_rect.x, u_rect.z, corner.x), mix(u_rect.y, u_rect.w, corner.y), 0.0, 1.0);
}
