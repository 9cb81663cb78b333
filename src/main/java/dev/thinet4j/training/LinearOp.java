package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * y = x·Wᵀ + b on BLAS gemm, over the last axis: an input [N, …, in] is viewed as M = N·Π(…) rows
 * X [M, in] (a copy when not c-contiguous), Y = X·Wᵀ + b [M, out] is written into the output viewed as
 * [M, out], the output being [N, …, out]. Backward with ∂Y = ∂y viewed as [M, out]: ∂x = ∂Y·W (viewed back as
 * [N, …, in]), ∂W = ∂Yᵀ·X (written straight into the gradient array), ∂b = Σ_rows ∂Y — every position along
 * the middle axes contributes to ∂W and ∂b.
 */
final class LinearOp extends TrainOp {
    private final Op.Linear linear;
    private final Parameter weight;
    private final Parameter bias;
    private INDArray x;

    LinearOp(Node node, Op.Linear linear, DataType type) {
        super(node, type);
        this.linear = linear;
        this.weight = new Parameter(node.name(), ParameterKind.WEIGHT, Nd.toNd(linear.weight(), type));
        this.bias = linear.bias() == null ? null
                : new Parameter(node.name(), ParameterKind.BIAS, Nd.toNd(linear.bias(), type));
    }

    @Override
    List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    @Override
    Op currentOp() {
        return new Op.Linear(Nd.toTensor(weight.value()), bias == null ? null : Nd.toTensor(bias.value()));
    }

    /** {@code a} as a c-order matrix [rows, last axis] (a view when possible). */
    private static INDArray rows(INDArray a) {
        long cols = a.size(a.rank() - 1);
        return a.rank() == 2 ? a : a.reshape('c', a.length() / cols, cols);
    }

    private static void closeIfCopy(INDArray view, INDArray of) {
        if (view != of && !Nd.sameStorage(view, of)) {
            Nd.close(view);
        }
    }

    @Override
    INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
        INDArray input = in.get(0);
        int[] out = outShape(in);
        INDArray y = create(out);
        INDArray x2 = rows(input);
        INDArray y2 = rows(y);
        Nd4j.gemm(x2, weight.value(), y2, false, true, 1.0, 0.0);
        if (bias != null) {
            y2.addiRowVector(bias.value());
        }
        closeIfCopy(x2, input);
        if (save) {
            x = input;
        }
        return y;
    }

    @Override
    INDArray[] backward(INDArray gradOut, boolean[] need) {
        INDArray g2 = rows(gradOut);
        INDArray x2 = rows(x);
        Nd4j.gemm(g2, x2, weight.gradient(), true, false, 1.0, 0.0);
        closeIfCopy(x2, x);
        if (bias != null) {
            INDArray db = g2.sum(0);
            bias.gradient().assign(db);
            Nd.close(db);
        }
        INDArray gx = null;
        if (need[0]) {
            gx = create(Nd.ints(x.shape()));
            Nd4j.gemm(g2, weight.value(), rows(gx), false, false, 1.0, 0.0);
        }
        closeIfCopy(g2, gradOut);
        return new INDArray[]{gx};
    }

    @Override
    void clear() {
        x = null;
    }
}
