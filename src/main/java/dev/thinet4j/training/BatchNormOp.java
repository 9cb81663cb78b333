package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

/**
 * Batch normalisation over axis 1 of a rank-2 or rank-4 input, with vectorised ND4J ops (broadcast
 * arithmetic and reductions over every axis but 1; M = number of values per channel).
 *
 * <p>TRAIN: μ = mean(x), σ² = mean((x − μ)²) (biased), x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β; the running
 * statistics move as in PyTorch: mean_r ← (1 − m)·mean_r + m·μ, var_r ← (1 − m)·var_r + m·σ²·M/(M − 1).
 * Backward: ∂β = Σ ∂y, ∂γ = Σ ∂y·x̂, ∂x = γ/(M·√(σ² + ε))·(M·∂y − ∂β − x̂·∂γ).
 *
 * <p>EVAL: x̂ = (x − mean_r)/√(var_r + ε), y = γ·x̂ + β, running statistics untouched; backward
 * ∂x = ∂y·γ/√(var_r + ε), ∂γ and ∂β as above.
 */
final class BatchNormOp extends TrainOp {
    private final Op.BatchNorm bn;
    private final Parameter scale;
    private final Parameter shift;
    private final INDArray runningMean;
    private final INDArray runningVar;

    private INDArray xhat;
    private INDArray invStd;
    private ForwardMode savedMode;

    BatchNormOp(Node node, Op.BatchNorm bn, DataType type) {
        super(node, type);
        this.bn = bn;
        this.scale = new Parameter(node.name(), ParameterKind.BN_SCALE, Nd.toNd(bn.scale(), type));
        this.shift = new Parameter(node.name(), ParameterKind.BN_SHIFT, Nd.toNd(bn.bias(), type));
        this.runningMean = Nd.toNd(bn.mean(), type);
        this.runningVar = Nd.toNd(bn.var(), type);
    }

    @Override
    List<Parameter> parameters() {
        return List.of(scale, shift);
    }

    INDArray runningMean() {
        return runningMean;
    }

    INDArray runningVar() {
        return runningVar;
    }

    @Override
    Op currentOp() {
        return new Op.BatchNorm(Nd.toTensor(scale.value()), Nd.toTensor(shift.value()), Nd.toTensor(runningMean),
                Nd.toTensor(runningVar), bn.epsilon());
    }

    private int[] axes(INDArray x) {
        if (x.rank() == 4) {
            return new int[]{0, 2, 3};
        }
        if (x.rank() == 2) {
            return new int[]{0};
        }
        throw new IllegalArgumentException("node '" + node.name() + "': training BatchNorm supports rank-2 and rank-4"
                + " inputs, got " + Nd.fmt(x));
    }

    @Override
    INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
        INDArray x = in.get(0);
        outShape(in);
        int[] axes = axes(x);
        long[] b = Nd.channelShape(x.rank(), bn.channels());
        long m = x.length() / bn.channels();
        INDArray xh;
        INDArray inv;
        if (pass.mode() == ForwardMode.TRAIN) {
            if (m < 2) {
                throw new IllegalArgumentException("node '" + node.name() + "': BatchNorm in TRAIN mode needs more than"
                        + " one value per channel, got input " + Nd.fmt(x) + " (use a batch of 2 or more)");
            }
            INDArray mean = x.mean(axes);
            xh = x.sub(mean.reshape(b));
            INDArray sq = xh.mul(xh);
            INDArray var = sq.mean(axes);
            Nd.close(sq);
            inv = Transforms.pow(var.add(bn.epsilon()), -0.5, false);
            xh.muli(inv.reshape(b));
            double mom = pass.bnMomentum();
            runningMean.muli(1 - mom).addi(mean.muli(mom));
            runningVar.muli(1 - mom).addi(var.muli(mom * m / (m - 1.0)));
            Nd.close(mean, var);
        } else {
            inv = Transforms.pow(runningVar.add(bn.epsilon()), -0.5, false);
            xh = x.sub(runningMean.reshape(b)).muli(inv.reshape(b));
        }
        INDArray y = xh.mul(scale.value().reshape(b)).addi(shift.value().reshape(b));
        if (save) {
            xhat = xh;
            invStd = inv;
            savedMode = pass.mode();
        } else {
            Nd.close(xh, inv);
        }
        return y;
    }

    @Override
    INDArray[] backward(INDArray gradOut, boolean[] need) {
        int[] axes = axes(gradOut);
        long c = bn.channels();
        long[] b = Nd.channelShape(gradOut.rank(), c);
        long m = gradOut.length() / c;
        INDArray dBeta = gradOut.sum(axes);
        INDArray prod = gradOut.mul(xhat);
        INDArray dGamma = prod.sum(axes);
        Nd.close(prod);
        INDArray gx = null;
        if (need[0]) {
            INDArray factor = scale.value().mul(invStd);
            if (savedMode == ForwardMode.TRAIN) {
                factor.divi(m);
                gx = gradOut.mul(m).subi(dBeta.reshape(b));
                INDArray t = xhat.mul(dGamma.reshape(b));
                gx.subi(t).muli(factor.reshape(b));
                Nd.close(t);
            } else {
                gx = gradOut.mul(factor.reshape(b));
            }
            Nd.close(factor);
        }
        scale.gradient().assign(dGamma);
        shift.gradient().assign(dBeta);
        Nd.close(dBeta, dGamma);
        return new INDArray[]{gx};
    }

    @Override
    void clear() {
        Nd.close(xhat, invStd);
        xhat = null;
        invStd = null;
    }
}
