package dev.thinet4j.model;

/** Scalar functions the JDK lacks, in float64. */
public final class ScalarMath {
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    private ScalarMath() {
    }

    /**
     * The Gauss error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, to about 1e-15 absolute.
     *
     * <p>|x| ≤ 2.5: the Maclaurin series 2/√π Σ (−1)ⁿ x^(2n+1) / (n!·(2n+1)); beyond, 1 − erfc(x) with
     * Laplace's continued fraction erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
     * evaluated from 80 terms backwards.
     *
     * @param x the argument
     * @return erf(x); NaN for NaN
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r;
        if (a <= 2.5) {
            double x2 = a * a;
            double term = a;
            double sum = a;
            for (int n = 1; n < 200; n++) {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = TWO_OVER_SQRT_PI * sum;
        } else {
            double t = a;
            for (int n = 80; n >= 1; n--) {
                t = a + (n / 2.0) / t;
            }
            r = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * t);
        }
        return x < 0 ? -r : r;
    }
}
