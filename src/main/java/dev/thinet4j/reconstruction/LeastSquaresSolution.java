package dev.thinet4j.reconstruction;

import org.ejml.data.DMatrixRMaj;

/**
 * The solution of a least-squares problem min ‖Y − XW‖² (+ λ‖W‖²) solved from its normal equations.
 *
 * @param weights  W, one row per chosen column (plus a last intercept row when an intercept was fitted),
 *                 one column per target. Copied in and out.
 * @param sse      ‖Y − XW‖²<sub>F</sub> (ridge term excluded) from the normal equations:
 *                 ‖Y‖² − 2 tr(WᵀXᵀY) + tr(WᵀXᵀXW), clamped at 0
 * @param residual the normalised residual ‖Y − XW‖<sub>F</sub> / ‖Y‖<sub>F</sub> (0 when both are 0,
 *                 +∞ when only ‖Y‖ is 0)
 * @param method   the solver that produced W: {@value LeastSquares#CHOLESKY}, {@value LeastSquares#PINV} or
 *                 {@value LeastSquares#RIDGE}
 * @param ridge    the ridge λ actually used (the requested one, or the adaptive one for {@code "ridge"})
 */
public record LeastSquaresSolution(DMatrixRMaj weights, double sse, double residual, String method, double ridge) {

    /**
     * Copies the weights.
     *
     * @param weights see the record description
     * @param sse see the record description
     * @param residual see the record description
     * @param method see the record description
     * @param ridge see the record description
     */
    public LeastSquaresSolution {
        weights = weights.copy();
    }

    /** @return a copy of W */
    @Override
    public DMatrixRMaj weights() {
        return weights.copy();
    }

    /** @return W as a row-major double[rows][cols] */
    public double[][] weightArray() {
        double[][] out = new double[weights.numRows][weights.numCols];
        for (int i = 0; i < weights.numRows; i++) {
            for (int j = 0; j < weights.numCols; j++) {
                out[i][j] = weights.get(i, j);
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LeastSquaresSolution s && weights.numRows == s.weights.numRows
                && weights.numCols == s.weights.numCols && java.util.Arrays.equals(weights.data, 0,
                weights.getNumElements(), s.weights.data, 0, s.weights.getNumElements())
                && Double.compare(sse, s.sse) == 0 && Double.compare(residual, s.residual) == 0
                && method.equals(s.method) && Double.compare(ridge, s.ridge) == 0;
    }

    @Override
    public int hashCode() {
        int h = 31 * weights.numRows + weights.numCols;
        for (int i = 0; i < weights.getNumElements(); i++) {
            h = 31 * h + Double.hashCode(weights.data[i]);
        }
        return 31 * (31 * h + Double.hashCode(sse)) + method.hashCode();
    }

    @Override
    public String toString() {
        return "LeastSquaresSolution[" + weights.numRows + "x" + weights.numCols + ", residual=" + residual
                + ", method=" + method + ", ridge=" + ridge + "]";
    }
}
