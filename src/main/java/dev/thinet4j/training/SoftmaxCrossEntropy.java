package dev.thinet4j.training;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Softmax cross-entropy on logits, averaged over the batch (PyTorch's {@code CrossEntropyLoss}):
 * L = (1/N)·Σ_i [log Σ_k e^{z_ik} − z_{i,y_i}], computed as −(1/N)·Σ_i log_softmax(z)_{i,y_i} with the row
 * maximum subtracted first. Gradient: ∂L/∂z = (softmax(z) − onehot(y))/N.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {
    }

    /**
     * The loss and its gradient.
     *
     * @param logits   [N, K] logits, float32 or float64. Not modified.
     * @param labels   N class indices in [0, K). Not modified.
     * @param gradient [N, K] array of the logits' type that receives ∂L/∂z (overwritten); may be null
     * @return the mean loss L
     * @throws IllegalArgumentException when the shapes do not agree or a label is out of range
     */
    public static double lossAndGradient(INDArray logits, int[] labels, INDArray gradient) {
        check(logits, labels);
        long n = logits.size(0);
        INDArray onehot = oneHot(logits, labels);
        INDArray logp = logSoftmax(logits);
        INDArray picked = logp.mul(onehot);
        double loss = -picked.sumNumber().doubleValue() / n;
        if (gradient != null) {
            if (!Arrays.equals(gradient.shape(), logits.shape())) {
                throw new IllegalArgumentException("gradient array " + Nd.fmt(gradient) + " must have the logits' shape "
                        + Nd.fmt(logits));
            }
            org.nd4j.linalg.ops.transforms.Transforms.exp(logp, false);
            gradient.assign(logp.subi(onehot).divi(n));
        }
        Nd.close(onehot, logp, picked);
        return loss;
    }

    /**
     * The loss only: L as in {@link #lossAndGradient}.
     *
     * @param logits [N, K]; not modified
     * @param labels N class indices; not modified
     */
    public static double loss(INDArray logits, int[] labels) {
        return lossAndGradient(logits, labels, null);
    }

    /** Number of rows whose largest logit (the first one on ties) is at the label's index. */
    public static int correct(INDArray logits, int[] labels) {
        check(logits, labels);
        INDArray arg = logits.argMax(1);
        long[] best = arg.toLongVector();
        Nd.close(arg);
        int c = 0;
        for (int i = 0; i < labels.length; i++) {
            if (best[i] == labels[i]) {
                c++;
            }
        }
        return c;
    }

    /** log_softmax along axis 1: z − max − log Σ e^(z − max), a new array. */
    static INDArray logSoftmax(INDArray logits) {
        INDArray max = logits.max(true, 1);
        INDArray shifted = logits.sub(max);
        INDArray e = org.nd4j.linalg.ops.transforms.Transforms.exp(shifted, true);
        INDArray sum = e.sum(true, 1);
        org.nd4j.linalg.ops.transforms.Transforms.log(sum, false);
        shifted.subi(sum);
        Nd.close(max, e, sum);
        return shifted;
    }

    private static INDArray oneHot(INDArray logits, int[] labels) {
        INDArray idx = Nd4j.createFromArray(labels);
        INDArray out = Nd4j.create(logits.dataType(), logits.shape());
        Nd4j.exec(org.nd4j.linalg.api.ops.DynamicCustomOp.builder("onehot").addInputs(idx).addOutputs(out)
                .addIntegerArguments(1, (int) logits.size(1)).addFloatingPointArguments(1.0, 0.0).build());
        Nd.close(idx);
        return out;
    }

    private static void check(INDArray logits, int[] labels) {
        if (logits.rank() != 2) {
            throw new IllegalArgumentException("logits must be [N, classes], got " + Nd.fmt(logits));
        }
        if (labels.length != logits.size(0)) {
            throw new IllegalArgumentException(labels.length + " labels for " + logits.size(0) + " rows of logits");
        }
        long k = logits.size(1);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= k) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is outside [0, " + k
                        + "): the network has " + k + " outputs");
            }
        }
    }
}
