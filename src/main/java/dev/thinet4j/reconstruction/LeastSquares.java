package dev.thinet4j.reconstruction;

import dev.thinet4j.sampling.NormalEquations;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.linsol.svd.SolvePseudoInverseSvd_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

/**
 * Linear least squares solved from accumulated normal equations, never from raw samples.
 *
 * <p>For chosen columns c of X the problem min<sub>W</sub> ‖Y − X<sub>c</sub>W‖²<sub>F</sub> + λ‖W‖²<sub>F</sub> has the normal
 * equations (X<sub>c</sub>ᵀX<sub>c</sub> + λI) W = X<sub>c</sub>ᵀY, built from sub-blocks of XᵀX and XᵀY. The ridge λ is
 * absolute (same scale as the sums of squares). Solvers, in order:
 * <ol>
 *   <li>{@value #CHOLESKY}: EJML Cholesky (DecompositionFactory_DDRM.chol) followed by two triangular
 *       solves, accepted when every pivot satisfies L<sub>ii</sub>² ≥ {@value #PIVOT_TOLERANCE}·A<sub>ii</sub> (each column
 *       keeps at least that fraction of its energy after projecting out the previous ones);</li>
 *   <li>{@value #PINV}: otherwise (singular or numerically rank-deficient system, e.g. duplicated columns)
 *       for systems of at most {@value #PINV_MAX_SIZE} unknowns, the SVD pseudo-inverse
 *       (SolvePseudoInverseSvd_DDRM, singular values below {@value #PINV_THRESHOLD}·p·σ<sub>max</sub> dropped),
 *       which gives the minimum-norm least-squares solution;</li>
 *   <li>{@value #RIDGE}: for larger systems, or if the SVD fails, Cholesky with an adaptive ridge
 *       λ' = λ + 1e-8·tr(A)/p, multiplied by 100 until the pivots pass (at most 6 tries).</li>
 * </ol>
 * The residual is always computed for the ridge-free objective from the normal equations:
 * ‖Y − XW‖² = ‖Y‖² − 2 tr(WᵀXᵀY) + tr(WᵀXᵀXW).
 */
public final class LeastSquares {
    /** Method label of a Cholesky solve. */
    public static final String CHOLESKY = "cholesky";
    /** Method label of a pseudo-inverse solve. */
    public static final String PINV = "pinv";
    /** Method label of an adaptive-ridge Cholesky solve. */
    public static final String RIDGE = "ridge";
    /** Relative pivot threshold below which Cholesky is considered rank-deficient. */
    public static final double PIVOT_TOLERANCE = 1e-10;
    /** Relative singular-value threshold of the pseudo-inverse (times p·σ<sub>max</sub>). */
    public static final double PINV_THRESHOLD = 1e-13;
    /** Largest system solved by the pseudo-inverse fallback; larger ones use the adaptive ridge. */
    public static final int PINV_MAX_SIZE = 1024;

    private LeastSquares() {
    }

    /**
     * Solves min ‖Y − X<sub>cols</sub>W‖² + λ‖W‖² from the normal equations (no intercept).
     *
     * @param ne      accumulated statistics (n features, k targets). Not modified.
     * @param columns the chosen feature columns, in the order of W's rows. Not modified.
     * @param ridge   λ ≥ 0, absolute
     * @return W (|cols|×k), its residual and the method used
     * @throws IllegalArgumentException when a column is out of range, λ is negative or not finite, or the
     *                                  statistics hold non-finite values
     */
    public static LeastSquaresSolution solve(NormalEquations ne, int[] columns, double ridge) {
        return solve(ne, columns, ridge, false);
    }

    /**
     * Solves min ‖Y − X<sub>cols</sub>W − 1δᵀ‖² + λ‖W‖² when {@code intercept} is true (δ not penalised;
     * the system is augmented with the ones column using Σx, Σy and m), else without δ.
     *
     * @param ne        accumulated statistics. Not modified.
     * @param columns   chosen feature columns, in the order of W's rows. Not modified.
     * @param ridge     λ ≥ 0, absolute
     * @param intercept whether to fit δ; if so it is the last row of the returned weights
     * @return W ((|cols| [+1])×k), its residual and the method used
     */
    public static LeastSquaresSolution solve(NormalEquations ne, int[] columns, double ridge, boolean intercept) {
        DMatrixRMaj[] sys = system(ne, columns, intercept);
        return solveSystem(sys[0], sys[1], ne.ytyTotal(), ridge, intercept ? columns.length : -1);
    }

    /**
     * Solves (A + λI) W = B for a general normal-equation system A = XᵀX, B = XᵀY, ‖Y‖² = yty.
     *
     * @param xtx A, p×p symmetric positive semi-definite. Not modified.
     * @param xty B, p×k. Not modified.
     * @param yty ‖Y‖²<sub>F</sub>, used for the residual
     * @param ridge λ ≥ 0
     * @return W (p×k), its residual and the method used
     * @throws IllegalArgumentException naming both shapes when A and B do not fit
     */
    public static LeastSquaresSolution solve(DMatrixRMaj xtx, DMatrixRMaj xty, double yty, double ridge) {
        return solveSystem(xtx, xty, yty, ridge, -1);
    }

    /**
     * The normalised residual ‖Y − X<sub>cols</sub>W‖ / ‖Y‖ of given weights, from the normal equations
     * (e.g. the consumer's original weights restricted to the kept columns, to report "before").
     *
     * @param ne      accumulated statistics. Not modified.
     * @param columns the feature columns W's rows stand for. Not modified.
     * @param weights W, |cols|×k. Not modified.
     * @return ‖Y − X<sub>cols</sub>W‖ / ‖Y‖ (see {@link #normalise})
     */
    public static double residual(NormalEquations ne, int[] columns, DMatrixRMaj weights) {
        return residual(ne, columns, false, weights);
    }

    /**
     * As {@link #residual(NormalEquations, int[], DMatrixRMaj)}, with an intercept row last in W when
     * {@code intercept} is true.
     *
     * @param ne        accumulated statistics. Not modified.
     * @param columns   the feature columns W's rows stand for. Not modified.
     * @param intercept whether W's last row is an intercept δ
     * @param weights   W, (|cols| [+1])×k. Not modified.
     * @return ‖Y − X<sub>cols</sub>W − 1δᵀ‖ / ‖Y‖ (see {@link #normalise})
     */
    public static double residual(NormalEquations ne, int[] columns, boolean intercept, DMatrixRMaj weights) {
        DMatrixRMaj[] sys = system(ne, columns, intercept);
        double yy = ne.ytyTotal();
        return normalise(sumSquaredError(sys[0], sys[1], yy, weights), yy);
    }

    /**
     * ‖Y − XW‖² = ‖Y‖² − 2 tr(WᵀB) + tr(WᵀAW), clamped at 0, for A = XᵀX, B = XᵀY.
     *
     * @param xtx A, p×p. Not modified.
     * @param xty B, p×k. Not modified.
     * @param yty ‖Y‖²<sub>F</sub>
     * @param weights W, p×k. Not modified.
     * @return the sum of squared errors, ≥ 0
     * @throws IllegalArgumentException naming the shapes when they do not fit
     */
    public static double sumSquaredError(DMatrixRMaj xtx, DMatrixRMaj xty, double yty, DMatrixRMaj weights) {
        checkShapes(xtx, xty);
        if (weights.numRows != xtx.numRows || weights.numCols != xty.numCols) {
            throw new IllegalArgumentException("weights are " + dims(weights) + " but xty is " + dims(xty));
        }
        DMatrixRMaj aw = new DMatrixRMaj(weights.numRows, weights.numCols);
        if (weights.numRows > 0) {
            CommonOps_DDRM.mult(xtx, weights, aw);
        }
        double cross = 0;
        double quad = 0;
        int len = weights.getNumElements();
        for (int i = 0; i < len; i++) {
            cross += weights.data[i] * xty.data[i];
            quad += weights.data[i] * aw.data[i];
        }
        return Math.max(0, yty - 2 * cross + quad);
    }

    /**
     * The normalised residual.
     *
     * @param sse ‖Y − XW‖²
     * @param yty ‖Y‖²
     * @return sqrt(sse / yty); 0 when both are 0, +∞ when only yty is 0
     */
    public static double normalise(double sse, double yty) {
        if (yty <= 0) {
            return sse <= 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.sqrt(sse / yty);
    }

    /** [A, B] for the chosen columns, augmented by the ones column when intercept. */
    static DMatrixRMaj[] system(NormalEquations ne, int[] columns, boolean intercept) {
        DMatrixRMaj a = ne.xtxBlock(columns, columns);
        DMatrixRMaj b = ne.xtyRows(columns);
        if (!intercept) {
            return new DMatrixRMaj[]{a, b};
        }
        int p = columns.length;
        int k = ne.targets();
        double[] sx = ne.sumX();
        double[] sy = ne.sumY();
        DMatrixRMaj a2 = new DMatrixRMaj(p + 1, p + 1);
        for (int i = 0; i < p; i++) {
            System.arraycopy(a.data, i * p, a2.data, i * (p + 1), p);
            a2.set(i, p, sx[columns[i]]);
            a2.set(p, i, sx[columns[i]]);
        }
        a2.set(p, p, ne.count());
        DMatrixRMaj b2 = new DMatrixRMaj(p + 1, k);
        System.arraycopy(b.data, 0, b2.data, 0, p * k);
        System.arraycopy(sy, 0, b2.data, p * k, k);
        return new DMatrixRMaj[]{a2, b2};
    }

    private static LeastSquaresSolution solveSystem(DMatrixRMaj a, DMatrixRMaj b, double yy, double ridge, int free) {
        checkShapes(a, b);
        if (!(ridge >= 0) || Double.isInfinite(ridge)) {
            throw new IllegalArgumentException("ridge must be finite and >= 0, got " + ridge);
        }
        checkFinite(a, "xtx");
        checkFinite(b, "xty");
        if (!Double.isFinite(yy)) {
            throw new IllegalArgumentException("yty is " + yy);
        }
        int p = a.numRows;
        int k = b.numCols;
        if (p == 0) {
            return new LeastSquaresSolution(new DMatrixRMaj(0, k), Math.max(0, yy), normalise(yy, yy), CHOLESKY, ridge);
        }
        DMatrixRMaj w = cholesky(a, b, ridge, free, true);
        if (w != null) {
            return finish(a, b, yy, w, CHOLESKY, ridge);
        }
        if (p <= PINV_MAX_SIZE) {
            DMatrixRMaj ar = withRidge(a, ridge, free);
            SolvePseudoInverseSvd_DDRM pinv = new SolvePseudoInverseSvd_DDRM(p, p);
            pinv.setThreshold(PINV_THRESHOLD);
            if (pinv.setA(ar)) {
                w = new DMatrixRMaj(p, k);
                pinv.solve(b, w);
                if (allFinite(w)) {
                    return finish(a, b, yy, w, PINV, ridge);
                }
            }
        }
        double trace = 0;
        for (int i = 0; i < p; i++) {
            trace += a.get(i, i);
        }
        double extra = Math.max(1e-8 * trace / p, Double.MIN_NORMAL);
        for (int attempt = 0; attempt < 6; attempt++, extra *= 100) {
            w = cholesky(a, b, ridge + extra, free, attempt < 5);
            if (w != null) {
                return finish(a, b, yy, w, RIDGE, ridge + extra);
            }
        }
        throw new IllegalStateException("least-squares system " + dims(a) + " could not be solved");
    }

    private static LeastSquaresSolution finish(DMatrixRMaj a, DMatrixRMaj b, double yy, DMatrixRMaj w, String method,
                                               double ridge) {
        double sse = sumSquaredError(a, b, yy, w);
        return new LeastSquaresSolution(w, sse, normalise(sse, yy), method, ridge);
    }

    private static DMatrixRMaj withRidge(DMatrixRMaj a, double ridge, int free) {
        DMatrixRMaj ar = a.copy();
        if (ridge > 0) {
            for (int i = 0; i < a.numRows; i++) {
                if (i != free) {
                    ar.add(i, i, ridge);
                }
            }
        }
        return ar;
    }

    /**
     * (A + λI)W = B by Cholesky; null when the decomposition fails or (if checkPivots) a pivot is below
     * the tolerance.
     */
    private static DMatrixRMaj cholesky(DMatrixRMaj a, DMatrixRMaj b, double ridge, int free, boolean checkPivots) {
        int p = a.numRows;
        int k = b.numCols;
        DMatrixRMaj ar = withRidge(a, ridge, free);
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(p, true);
        if (!chol.decompose(ar.copy())) {
            return null;
        }
        DMatrixRMaj l = chol.getT(null);
        double[] ld = l.data;
        for (int i = 0; i < p; i++) {
            double piv = ld[i * p + i];
            double diag = ar.get(i, i);
            if (!(piv > 0) || !(diag > 0) || (checkPivots && piv * piv < PIVOT_TOLERANCE * diag)) {
                return null;
            }
        }
        // forward: L Z = B, row by row (rows of B are contiguous)
        double[] z = b.data.clone();
        for (int i = 0; i < p; i++) {
            int zi = i * k;
            for (int j = 0; j < i; j++) {
                double lij = ld[i * p + j];
                if (lij != 0) {
                    int zj = j * k;
                    for (int c = 0; c < k; c++) {
                        z[zi + c] -= lij * z[zj + c];
                    }
                }
            }
            double inv = 1.0 / ld[i * p + i];
            for (int c = 0; c < k; c++) {
                z[zi + c] *= inv;
            }
        }
        // backward: Lᵀ W = Z
        double[] w = z;
        for (int i = p - 1; i >= 0; i--) {
            int wi = i * k;
            for (int j = i + 1; j < p; j++) {
                double lji = ld[j * p + i];
                if (lji != 0) {
                    int wj = j * k;
                    for (int c = 0; c < k; c++) {
                        w[wi + c] -= lji * w[wj + c];
                    }
                }
            }
            double inv = 1.0 / ld[i * p + i];
            for (int c = 0; c < k; c++) {
                w[wi + c] *= inv;
            }
        }
        DMatrixRMaj out = DMatrixRMaj.wrap(p, k, w);
        return allFinite(out) ? out : null;
    }

    private static void checkShapes(DMatrixRMaj a, DMatrixRMaj b) {
        if (a.numRows != a.numCols || b.numRows != a.numRows) {
            throw new IllegalArgumentException("xtx is " + dims(a) + " but xty is " + dims(b)
                    + "; need p x p and p x k");
        }
    }

    private static void checkFinite(DMatrixRMaj m, String name) {
        int len = m.getNumElements();
        for (int i = 0; i < len; i++) {
            if (!Double.isFinite(m.data[i])) {
                throw new IllegalArgumentException(name + " holds a non-finite value at (" + i / m.numCols + ", "
                        + i % m.numCols + ")");
            }
        }
    }

    private static boolean allFinite(DMatrixRMaj m) {
        int len = m.getNumElements();
        for (int i = 0; i < len; i++) {
            if (!Double.isFinite(m.data[i])) {
                return false;
            }
        }
        return true;
    }

    static String dims(DMatrixRMaj m) {
        return m.numRows + "x" + m.numCols;
    }
}
