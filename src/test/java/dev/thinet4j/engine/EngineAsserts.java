package dev.thinet4j.engine;

import dev.thinet4j.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Conversions between reference arrays, ND4J arrays and weight tensors, and the error measure. */
final class EngineAsserts {
    private EngineAsserts() {
    }

    static INDArray nd(DArray a) {
        long[] s = new long[a.rank()];
        for (int i = 0; i < s.length; i++) {
            s[i] = a.dim(i);
        }
        return Nd4j.create(a.toFloats(), s, DataType.FLOAT);
    }

    static DArray darray(INDArray a) {
        long[] s = a.shape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            shape[i] = (int) s[i];
        }
        return DArray.ofFloats(a.dup('c').data().asFloat(), shape);
    }

    static Tensor randomTensor(SplittableRandom rnd, double lo, double hi, int... shape) {
        return Tensor.of(DArray.random(rnd, lo, hi, shape).toFloats(), shape);
    }

    /** max|a − b| / max(1, max|ref|); equal infinities count as equal. */
    static double relError(DArray ref, DArray actual) {
        double maxRef = 0;
        double maxDiff = 0;
        for (int i = 0; i < ref.size(); i++) {
            double r = ref.data()[i];
            double a = actual.data()[i];
            if (Double.isInfinite(r) && r == a) {
                continue;
            }
            maxRef = Math.max(maxRef, Math.abs(r));
            double d = Math.abs(r - a);
            maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(maxDiff, d);
        }
        return maxDiff / Math.max(1, maxRef);
    }

    static void assertClose(DArray ref, INDArray actual, double tol, String what) {
        DArray act = darray(actual);
        assertArrayEquals(ref.shape(), act.shape(), () -> what + ": shape " + Arrays.toString(act.shape())
                + ", reference " + Arrays.toString(ref.shape()));
        double err = relError(ref, act);
        if (!(err <= tol)) {
            fail(what + ": relative error " + err + " > " + tol);
        }
        assertTrue(err <= tol);
    }
}
