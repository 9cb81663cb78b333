package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * y = x·Wᵀ + b on BLAS gemm: ∂x = ∂y·W, ∂W = ∂yᵀ·x (written straight into the gradient array),
 * ∂b = Σ_rows ∂y.
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

    @Override
    INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
        INDArray input = in.get(0);
        int[] out = outShape(in);
        INDArray y = create(out);
        Nd4j.gemm(input, weight.value(), y, false, true, 1.0, 0.0);
        if (bias != null) {
            y.addiRowVector(bias.value());
        }
        if (save) {
            x = input;
        }
        return y;
    }

    @Override
    INDArray[] backward(INDArray gradOut, boolean[] need) {
        Nd4j.gemm(gradOut, x, weight.gradient(), true, false, 1.0, 0.0);
        if (bias != null) {
            INDArray db = gradOut.sum(0);
            bias.gradient().assign(db);
            Nd.close(db);
        }
        INDArray gx = need[0] ? gradOut.mmul(weight.value()) : null;
        return new INDArray[]{gx};
    }

    @Override
    void clear() {
        x = null;
    }
}
