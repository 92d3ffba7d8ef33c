/* A minimal bcryptprimitives.dll for Wine < 9, which lacks it: Rust's std
 * (>= 1.78) imports ProcessPrng from it. Built by ci/cross.sh with mingw and
 * copied into the Wine prefix; never shipped. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len); /* RtlGenRandom, advapi32 */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
