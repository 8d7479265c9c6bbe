/* Preloaded by scripts/sanitize.sh: libraries are never unloaded, so LeakSanitizer can name the library that
   allocated what is still reachable at exit (the GL driver that libglvnd unloads otherwise shows as
   "<unknown module>" and cannot be matched by a suppression). */
int dlclose(void* handle)
{
    (void)handle;
    return 0;
}
