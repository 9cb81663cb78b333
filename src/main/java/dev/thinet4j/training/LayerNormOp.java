package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;
import java.util.List;

/**
 * Layer normalisation over one axis a of length D, the same in TRAIN and EVAL (no running statistics), with
 * vectorised ND4J ops (reductions along a with kept dimensions, broadcast arithmetic):
 * μ = mean_a(x), σ² = mean_a((x − μ)²) (biased), x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β, γ and β of shape
 * [D] broadcast along a. γ ({@link ParameterKind#LN_SCALE}) and β ({@link ParameterKind#LN_SHIFT}, absent
 * when the op has no bias) are trainable parameters.
 *
 * <p>Backward, with Σ_a summing along a and Σ_¬a summing over every other axis:
 * ∂β = Σ_¬a ∂y, ∂γ = Σ_¬a ∂y·x̂, and with g = ∂y·γ:
 * ∂x = (D·g − Σ_a g − x̂·Σ_a(g·x̂)) / (D·√(σ² + ε)).
 */
final class LayerNormOp extends TrainOp {
    private final Op.LayerNorm ln;
    private final int axis;
    private final Parameter scale;
    private final Parameter shift;
    private INDArray xhat;
    private INDArray invStd;

    LayerNormOp(Node node, Op.LayerNorm ln, DataType type) {
        super(node, type);
        this.ln = ln;
        this.axis = ln.axis();
        this.scale = new Parameter(node.name(), ParameterKind.LN_SCALE, Nd.toNd(ln.scale(), type));
        this.shift = ln.bias() == null ? null
                : new Parameter(node.name(), ParameterKind.LN_SHIFT, Nd.toNd(ln.bias(), type));
    }

    @Override
    List<Parameter> parameters() {
        return shift == null ? List.of(scale) : List.of(scale, shift);
    }

    @Override
    Op currentOp() {
        return ln.withParams(Nd.toTensor(scale.value()), shift == null ? null : Nd.toTensor(shift.value()));
    }

    /** [1, …, D, …, 1]: the parameter shape for broadcasting along the axis. */
    private long[] paramShape(int rank) {
        long[] b = new long[rank];
        Arrays.fill(b, 1);
        b[axis] = ln.features();
        return b;
    }

    /** Every axis but the normalised one. */
    private int[] otherAxes(int rank) {
        int[] o = new int[rank - 1];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (i != axis) {
                o[k++] = i;
            }
        }
        return o;
    }

    @Override
    INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
        outShape(in);
        INDArray x = in.get(0);
        long[] b = paramShape(x.rank());
        INDArray mean = x.mean(true, axis);
        INDArray xh = x.sub(mean);
        Nd.close(mean);
        INDArray sq = xh.mul(xh);
        INDArray var = sq.mean(true, axis);
        Nd.close(sq);
        INDArray inv = Transforms.pow(var.addi(ln.epsilon()), -0.5, false);
        xh.muli(inv);
        INDArray y = xh.mul(scale.value().reshape(b));
        if (shift != null) {
            y.addi(shift.value().reshape(b));
        }
        if (save) {
            xhat = xh;
            invStd = inv;
        } else {
            Nd.close(xh, inv);
        }
        return y;
    }

    @Override
    INDArray[] backward(INDArray gradOut, boolean[] need) {
        int rank = gradOut.rank();
        int[] others = otherAxes(rank);
        long[] b = paramShape(rank);
        if (shift != null) {
            INDArray dBeta = gradOut.sum(others);
            shift.gradient().assign(dBeta.reshape(shift.gradient().shape()));
            Nd.close(dBeta);
        }
        INDArray prod = gradOut.mul(xhat);
        INDArray dGamma = prod.sum(others);
        Nd.close(prod);
        scale.gradient().assign(dGamma.reshape(scale.gradient().shape()));
        Nd.close(dGamma);
        INDArray gx = null;
        if (need[0]) {
            double d = ln.features();
            INDArray g = gradOut.mul(scale.value().reshape(b));
            INDArray s1 = g.sum(true, axis);
            INDArray gx2 = g.mul(xhat);
            INDArray s2 = gx2.sum(true, axis);
            Nd.close(gx2);
            INDArray t = xhat.mul(s2);
            gx = g.muli(d).subi(s1).subi(t).muli(invStd).divi(d);
            Nd.close(s1, s2, t);
        }
        return new INDArray[]{gx};
    }

    @Override
    void clear() {
        Nd.close(xhat, invStd);
        xhat = null;
        invStd = null;
    }
}
