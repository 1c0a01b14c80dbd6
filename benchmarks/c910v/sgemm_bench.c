/* sgemm_bench N [DO_GEMM=1]: C = A*B (float, column-major, NN, N x N) through OpenBLAS's
 * cblas_sgemm, then 64 entries checked against a double-precision reference. DO_GEMM=0 does
 * everything but the cblas_sgemm call: counted both ways, the difference is sgemm alone.
 * Prints the kernel set OpenBLAS chose; exits 1 when the product is wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>

enum { ColMajor = 102, NoTrans = 111 };
void cblas_sgemm(int, int, int, int, int, int, float, const float *, int,
                 const float *, int, float, float *, int);
char *openblas_get_corename(void);
char *openblas_get_config(void);

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 512, do_gemm = argc > 2 ? atoi(argv[2]) : 1;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = calloc((size_t)n * n, sizeof(float));
    unsigned s = 12345;
    double maxerr = 0;
    for (long i = 0; i < (long)n * n; i++) {
        s = s * 1103515245u + 12345u; a[i] = ((s >> 9) & 0xffff) / 65536.0f - 0.5f;
        s = s * 1103515245u + 12345u; b[i] = ((s >> 9) & 0xffff) / 65536.0f - 0.5f;
    }
    if (do_gemm)
        cblas_sgemm(ColMajor, NoTrans, NoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    for (int k = 0; k < 64; k++) {
        int i = (k * 97 + 13) % n, j = (k * 61 + 7) % n;
        double ref = 0;
        for (int l = 0; l < n; l++) ref += (double)a[i + (long)l * n] * b[l + (long)j * n];
        double e = fabs(ref - c[i + (long)j * n]);
        if (e > maxerr) maxerr = e;
    }
    printf("core=%s n=%d gemm=%d maxabserr=%.3g %s\n", openblas_get_corename(), n, do_gemm,
           maxerr, do_gemm ? (maxerr < 1e-3 ? "OK" : "WRONG") : "-");
    printf("config=%s\n", openblas_get_config());
    return do_gemm && !(maxerr < 1e-3);
}
