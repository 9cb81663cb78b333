package dev.thinet4j.reconstruction;

import java.util.SplittableRandom;

/**
 * Independent double-precision references for the numeric tests: everything from raw sample matrices with
 * plain loops, and Gaussian elimination with partial pivoting.
 */
public final class Naive {
    private Naive() {
    }

    /** An m×n matrix of standard normal values. */
    public static double[][] gaussian(SplittableRandom rnd, int m, int n) {
        double[][] x = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                x[i][j] = gauss(rnd);
            }
        }
        return x;
    }

    /** One standard normal value (Box–Muller). */
    public static double gauss(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** The columns cols of x. */
    public static double[][] columns(double[][] x, int[] cols) {
        double[][] out = new double[x.length][cols.length];
        for (int i = 0; i < x.length; i++) {
            for (int a = 0; a < cols.length; a++) {
                out[i][a] = x[i][cols[a]];
            }
        }
        return out;
    }

    /** AᵀB. */
    public static double[][] atb(double[][] a, double[][] b) {
        int p = a[0].length;
        int q = b[0].length;
        double[][] out = new double[p][q];
        for (int r = 0; r < a.length; r++) {
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < q; j++) {
                    out[i][j] += a[r][i] * b[r][j];
                }
            }
        }
        return out;
    }

    /** A·B. */
    public static double[][] mul(double[][] a, double[][] b) {
        int q = b[0].length;
        double[][] out = new double[a.length][q];
        for (int i = 0; i < a.length; i++) {
            for (int t = 0; t < b.length; t++) {
                for (int j = 0; j < q; j++) {
                    out[i][j] += a[i][t] * b[t][j];
                }
            }
        }
        return out;
    }

    /** Solves A W = B (A square, non-singular) by Gaussian elimination with partial pivoting. */
    public static double[][] solve(double[][] a, double[][] b) {
        int n = a.length;
        int k = b[0].length;
        double[][] m = new double[n][n + k];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, m[i], 0, n);
            System.arraycopy(b[i], 0, m[i], n, k);
        }
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) {
                    piv = r;
                }
            }
            double[] t = m[col];
            m[col] = m[piv];
            m[piv] = t;
            for (int r = col + 1; r < n; r++) {
                double f = m[r][col] / m[col][col];
                for (int c = col; c < n + k; c++) {
                    m[r][c] -= f * m[col][c];
                }
            }
        }
        double[][] w = new double[n][k];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = 0; j < k; j++) {
                double s = m[i][n + j];
                for (int c = i + 1; c < n; c++) {
                    s -= m[i][c] * w[c][j];
                }
                w[i][j] = s / m[i][i];
            }
        }
        return w;
    }

    /** The least-squares solution min ‖Y − X_cols W‖² (+ ridge‖W‖²) by elimination on the raw-sample normal equations. */
    public static double[][] leastSquares(double[][] x, double[][] y, int[] cols, double ridge) {
        double[][] xs = columns(x, cols);
        double[][] a = atb(xs, xs);
        for (int i = 0; i < a.length; i++) {
            a[i][i] += ridge;
        }
        return solve(a, atb(xs, y));
    }

    /** ‖Y − X_cols W‖² computed directly from the samples. */
    public static double sse(double[][] x, double[][] y, int[] cols, double[][] w) {
        double s = 0;
        for (int r = 0; r < x.length; r++) {
            for (int j = 0; j < y[0].length; j++) {
                double pred = 0;
                for (int a = 0; a < cols.length; a++) {
                    pred += x[r][cols[a]] * w[a][j];
                }
                double e = y[r][j] - pred;
                s += e * e;
            }
        }
        return s;
    }

    /** ‖Y‖². */
    public static double energy(double[][] y) {
        double s = 0;
        for (double[] row : y) {
            for (double v : row) {
                s += v * v;
            }
        }
        return s;
    }

    /** Column vector of a double[]. */
    public static double[][] column(double[] v) {
        double[][] out = new double[v.length][1];
        for (int i = 0; i < v.length; i++) {
            out[i][0] = v[i];
        }
        return out;
    }
}
