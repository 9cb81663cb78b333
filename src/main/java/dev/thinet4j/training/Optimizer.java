package dev.thinet4j.training;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.List;

/**
 * Updates the {@link Parameter}s of a {@link TrainableNetwork} from their gradients, with vectorised
 * in-place ND4J operations. Built by {@link #create}; see {@link OptimizerType} for the update rules.
 *
 * <p>Before the rule, each gradient gets the configured penalty terms added in place:
 * λ·w when weight decay applies to the parameter (L2, SGD and ADAM; weights only unless
 * {@link TrainingConfig#decayBiasAndBatchNorm()}), and s·sign(γ) for BatchNorm scales when
 * {@link TrainingConfig#l1Gamma()} s &gt; 0 (network slimming's sparsity subgradient).
 */
public abstract class Optimizer implements AutoCloseable {
    /** One parameter with its flags and state arrays. */
    static final class Slot {
        final Parameter p;
        final boolean decay;
        final boolean l1;
        INDArray s1;
        INDArray s2;

        Slot(Parameter p, boolean decay, boolean l1) {
            this.p = p;
            this.decay = decay;
            this.l1 = l1;
        }
    }

    final List<Slot> slots;
    final double weightDecay;
    final double l1Gamma;
    long steps;

    Optimizer(TrainingConfig config, List<Parameter> params) {
        this.weightDecay = config.weightDecay();
        this.l1Gamma = config.l1Gamma();
        List<Slot> s = new ArrayList<>();
        for (Parameter p : params) {
            boolean decay = config.weightDecay() > 0 && (p.kind().decayedByDefault() || config.decayBiasAndBatchNorm());
            s.add(new Slot(p, decay, config.l1Gamma() > 0 && p.kind() == ParameterKind.BN_SCALE));
        }
        this.slots = List.copyOf(s);
    }

    /**
     * The optimiser the configuration names, for these parameters (state starts at zero).
     *
     * @param config the optimiser type and its hyper-parameters
     * @param params the parameters to update (usually {@link TrainableNetwork#lossParameters()})
     */
    public static Optimizer create(TrainingConfig config, List<Parameter> params) {
        return switch (config.optimizer()) {
            case SGD -> new Sgd(config, params);
            case ADAM -> new Adam(config, params, false);
            case ADAMW -> new Adam(config, params, true);
        };
    }

    /**
     * One update of every parameter at learning rate η. Modifies each parameter's value, its gradient
     * (the penalty terms are added in place) and the optimiser's state.
     */
    public final void step(double learningRate) {
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be a finite value >= 0, got " + learningRate);
        }
        steps++;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            for (Slot s : slots) {
                INDArray g = s.p.gradient();
                if (s.l1) {
                    INDArray sign = Transforms.sign(s.p.value(), true);
                    g.addi(sign.muli(l1Gamma));
                    sign.close();
                }
                update(s, g, learningRate);
            }
        }
    }

    /** Number of {@link #step} calls so far. */
    public long steps() {
        return steps;
    }

    abstract void update(Slot s, INDArray g, double lr);

    static void addScaled(INDArray target, INDArray x, double alpha) {
        INDArray t = x.mul(alpha);
        target.addi(t);
        t.close();
    }

    /** Frees the state arrays. */
    @Override
    public void close() {
        for (Slot s : slots) {
            Nd.close(s.s1, s.s2);
            s.s1 = null;
            s.s2 = null;
        }
    }

    /** SGD with momentum, optionally Nesterov. */
    static final class Sgd extends Optimizer {
        private final double momentum;
        private final boolean nesterov;

        Sgd(TrainingConfig config, List<Parameter> params) {
            super(config, params);
            this.momentum = config.momentum();
            this.nesterov = config.nesterov();
        }

        @Override
        void update(Slot s, INDArray g, double lr) {
            INDArray w = s.p.value();
            if (s.decay) {
                addScaled(g, w, weightDecay);
            }
            if (momentum == 0) {
                addScaled(w, g, -lr);
                return;
            }
            if (s.s1 == null) {
                s.s1 = g.dup();
            } else {
                s.s1.muli(momentum).addi(g);
            }
            if (nesterov) {
                addScaled(g, s.s1, momentum);
                addScaled(w, g, -lr);
            } else {
                addScaled(w, s.s1, -lr);
            }
        }
    }

    /** Adam / AdamW. */
    static final class Adam extends Optimizer {
        private final double beta1;
        private final double beta2;
        private final double eps;
        private final boolean decoupled;

        Adam(TrainingConfig config, List<Parameter> params, boolean decoupled) {
            super(config, params);
            this.beta1 = config.adamBeta1();
            this.beta2 = config.adamBeta2();
            this.eps = config.adamEpsilon();
            this.decoupled = decoupled;
        }

        @Override
        void update(Slot s, INDArray g, double lr) {
            INDArray w = s.p.value();
            if (s.decay) {
                if (decoupled) {
                    w.muli(1 - lr * weightDecay);
                } else {
                    addScaled(g, w, weightDecay);
                }
            }
            if (s.s1 == null) {
                s.s1 = g.ulike().assign(0);
                s.s2 = g.ulike().assign(0);
            }
            s.s1.muli(beta1);
            addScaled(s.s1, g, 1 - beta1);
            INDArray sq = g.mul(g);
            s.s2.muli(beta2);
            addScaled(s.s2, sq, 1 - beta2);
            sq.close();
            double c1 = 1 - Math.pow(beta1, steps);
            double c2 = 1 - Math.pow(beta2, steps);
            // w −= η·(m/c1)/(√(v/c2) + ε)
            INDArray denom = Transforms.sqrt(s.s2.div(c2), false).addi(eps);
            INDArray upd = s.s1.div(denom);
            addScaled(w, upd, -lr / c1);
            Nd.close(denom, upd);
        }
    }
}
