#version 330 core
// The loss landscape of a 2-d test function (core/Functions2d.cpp), evaluated analytically at every
// pixel: a colour map of q = log(f + c) with iso-lines at evenly spaced q, i.e. at log-spaced loss
// levels where the range is wide (c small against the range) and at nearly linear levels where it is
// narrow (c of the order of the smallest value in view).
in vec2 v_uv;
out vec4 fragColor;

uniform int u_kind;       // l2l::Function2dKind: 0 quadratic2d, 1 ill-conditioned, 2 rosenbrock,
                          // 3 saddle, 4 himmelblau, 5 rastrigin, 6 beale
uniform vec4 u_view;      // world rectangle shown: xmin, xmax, ymin, ymax
uniform float u_quad[6];  // quadratic2d: W row-major (4 values), then y (2 values)
uniform float u_kappa;    // ill-conditioned: condition number
uniform float u_offset;   // c in q = log(f + c)
uniform vec2 u_range;     // q at the bottom and the top of the colour map
uniform float u_levels;   // iso-lines over the colour range

const float PI = 3.14159265358979;

float f(vec2 p)
{
    float x = p.x, y = p.y;
    if (u_kind == 0) { // ||W p - y||^2
        float r0 = u_quad[0] * x + u_quad[1] * y - u_quad[4];
        float r1 = u_quad[2] * x + u_quad[3] * y - u_quad[5];
        return r0 * r0 + r1 * r1;
    }
    if (u_kind == 1) { // 0.5 (u^2 + kappa v^2), (u, v) = (x, y) rotated by 30 degrees
        float c = cos(PI / 6.0), s = sin(PI / 6.0);
        float u = c * x + s * y, v = -s * x + c * y;
        return 0.5 * (u * u + u_kappa * v * v);
    }
    if (u_kind == 2) return (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x);
    if (u_kind == 3) return x * x + 0.25 * y * y * y * y - 0.5 * y * y + 0.25;
    if (u_kind == 4) {
        float a = x * x + y - 11.0, b = x + y * y - 7.0;
        return a * a + b * b;
    }
    if (u_kind == 5) return 20.0 + x * x - 10.0 * cos(2.0 * PI * x) + y * y - 10.0 * cos(2.0 * PI * y);
    float t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y;
    return t1 * t1 + t2 * t2 + t3 * t3; // beale
}

// The gradient of f, for iso-lines of even width (a screen-space fwidth of the level is taken per 2x2 block of
// pixels, which drew rastrigin's ripples as crosses and dots).
vec2 gradf(vec2 p)
{
    float x = p.x, y = p.y;
    if (u_kind == 0) {
        float r0 = u_quad[0] * x + u_quad[1] * y - u_quad[4];
        float r1 = u_quad[2] * x + u_quad[3] * y - u_quad[5];
        return 2.0 * (r0 * vec2(u_quad[0], u_quad[1]) + r1 * vec2(u_quad[2], u_quad[3]));
    }
    if (u_kind == 1) {
        float c = cos(PI / 6.0), s = sin(PI / 6.0);
        float u = c * x + s * y, v = -s * x + c * y;
        return u * vec2(c, s) + u_kappa * v * vec2(-s, c);
    }
    if (u_kind == 2) return vec2(-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x));
    if (u_kind == 3) return vec2(2.0 * x, y * y * y - y);
    if (u_kind == 4) {
        float a = x * x + y - 11.0, b = x + y * y - 7.0;
        return vec2(4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b);
    }
    if (u_kind == 5) return vec2(2.0 * x + 20.0 * PI * sin(2.0 * PI * x), 2.0 * y + 20.0 * PI * sin(2.0 * PI * y));
    float t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y;
    return 2.0 * vec2(t1 * (y - 1.0) + t2 * (y * y - 1.0) + t3 * (y * y * y - 1.0),
                      x * (t1 + 2.0 * t2 * y + 3.0 * t3 * y * y));
}

// Viridis (matplotlib), as a degree-6 polynomial fit (Matt Zucconi's approximation, max error ~0.01).
vec3 viridis(float t)
{
    const vec3 c0 = vec3(0.2777273272234177, 0.005407344544966578, 0.3340998053353061);
    const vec3 c1 = vec3(0.1050930431085774, 1.404613529898575, 1.384590162594685);
    const vec3 c2 = vec3(-0.3308618287255563, 0.214847559468213, 0.09509516302823659);
    const vec3 c3 = vec3(-4.634230498983486, -5.799100973351585, -19.33244095627987);
    const vec3 c4 = vec3(6.228269936347081, 14.17993336680509, 56.69055260068105);
    const vec3 c5 = vec3(4.776384997670288, -13.74514537774601, -65.35303263337234);
    const vec3 c6 = vec3(-5.435455855934631, 4.645852612178535, 26.3124352495832);
    return c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * (c5 + t * c6)))));
}

void main()
{
    vec2 p = mix(u_view.xz, u_view.yw, v_uv);
    float fp = max(f(p), 0.0);
    float q = log(fp + u_offset);
    float s = (q - u_range.x) / max(u_range.y - u_range.x, 1e-12);
    // Lightened so that the optimizers' saturated path colours stand out on top.
    vec3 colour = mix(viridis(clamp(s, 0.0, 1.0)), vec3(1.0), 0.3);

    // Iso-lines where s * levels crosses an integer, about one pixel wide whatever the zoom: the
    // distance to the nearest level is measured in pixels through the level's gradient, d level / d p =
    // levels / (range) * grad f / (f + c), times the world size of a pixel (p is linear on the screen).
    float level = s * u_levels;
    vec2 pixel = vec2(length(dFdx(p)), length(dFdy(p)));
    vec2 dLevel = u_levels / max(u_range.y - u_range.x, 1e-12) * gradf(p) / (fp + u_offset);
    float perPixel = length(dLevel * pixel);
    float distance = abs(fract(level + 0.5) - 0.5) / max(perPixel, 1e-6);
    float line = 1.0 - smoothstep(0.5, 1.5, distance);
    // Where levels crowd closer than ~3 pixels (steep walls, rastrigin's ripples) the lines fade out
    // instead of turning into noise.
    line *= 1.0 - smoothstep(0.2, 0.4, perPixel);
    vec3 ink = s < 0.55 ? vec3(1.0) : vec3(0.15, 0.15, 0.2);
    fragColor = vec4(mix(colour, ink, 0.45 * line), 1.0);
}
