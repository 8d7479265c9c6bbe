#version 330 core
// The tile's image as it is: no colour transform, so what is shown is what Save writes.
uniform sampler2D u_image;
in vec2 v_uv;
out vec4 fragColor;

void main()
{
    fragColor = vec4(texture(u_image, v_uv).rgb, 1.0);
}
