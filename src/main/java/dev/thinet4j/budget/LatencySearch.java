package dev.thinet4j.budget;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.Batch;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Meets a <em>latency</em> budget — keep at most the fraction {@code target} of the unpruned network's measured
 * forward time — by searching over MACs budgets: for a MACs fraction f the {@link BudgetSolver} gives a plan (from the
 * same sensitivity table), the plan's architecture ({@link Budget#architecture}) is timed with a {@link LatencyMeter},
 * and f is moved until the measured latency fraction t(f) = latency(plan(f)) / latency(unpruned) is at most the target.
 * Nothing here predicts latency from MACs: every accepted plan was timed. The unpruned network is timed again with
 * each candidate ({@link LatencyMeter#timePair}), so that a change of the machine's load between steps does not bias
 * the fraction.
 *
 * <p><b>Search.</b> t(f) grows with f (more MACs, more time; timing noise aside) and plans exist only from some
 * smallest f up (the solver says when a MACs budget cannot be met). The search keeps the largest f whose plan was
 * timed within the target ("best"), the smallest f timed over it ("above", initially 1: the unpruned network) and
 * the largest f without a plan ("below", initially 0). It starts at f = target; while no plan meets the target it
 * tries f·target/t(f) after a plan that was too slow (latency assumed proportional to MACs near f) when that lies
 * strictly between below and above, the midpoint otherwise; once one does, it bisects between best and above. It stops
 * when that interval is narrower than {@code resolution} or after {@code maxSteps} timings. Plans that the solver
 * returns twice (neighbouring f, same channel counts) are timed once.
 *
 * <p>Timing on a busy machine is noisy: the result carries every step so a caller can show what was measured, and
 * the pruned network should be timed again afterwards.
 */
public final class LatencySearch {
    private static final Logger LOG = LoggerFactory.getLogger(LatencySearch.class);

    /** Default number of timed candidate plans. */
    public static final int DEFAULT_MAX_STEPS = 8;
    /** Default width of the final MACs-fraction interval. */
    public static final double DEFAULT_RESOLUTION = 0.01;

    /** Forward-pass time of a network, in any unit (only ratios are used). */
    @FunctionalInterface
    public interface LatencyMeter {
        /** @return the time of one forward pass (e.g. milliseconds per image), positive */
        double time(Network net);

        /**
         * Times two networks under the same conditions (by default one after the other).
         *
         * @return {time of a, time of b}
         */
        default double[] timePair(Network a, Network b) {
            return new double[]{time(a), time(b)};
        }
    }

    /**
     * One timed (or rejected) MACs budget.
     *
     * @param macsTarget      the MACs fraction asked of the solver
     * @param macsKept        the MACs fraction of its plan (NaN when there was none)
     * @param baselineTime    time of the unpruned network, measured just before the plan's (NaN when there was no
     *                        plan)
     * @param time            measured time of the plan's architecture (NaN when there was no plan)
     * @param latencyFraction time / baselineTime (NaN when there was no plan)
     * @param feasible        whether the solver found a plan for the MACs budget
     * @param meets           whether the plan's latency fraction is at most the target
     */
    public record Step(double macsTarget, double macsKept, double baselineTime, double time, double latencyFraction,
                       boolean feasible, boolean meets) {
    }

    /**
     * The chosen plan and how it was found.
     *
     * @param plan            the plan with the largest MACs budget whose architecture was timed within the target
     * @param target          the latency fraction asked for
     * @param baselineTime    measured time of the unpruned network, just before the plan's
     * @param time            measured time of the plan's architecture
     * @param steps           every candidate, in the order tried
     */
    public record Result(BudgetPlan plan, double target, double baselineTime, double time, List<Step> steps) {
        public Result {
            steps = List.copyOf(steps);
        }

        /** time / baselineTime. */
        public double latencyFraction() {
            return time / baselineTime;
        }
    }

    private final double resolution;
    private final int maxSteps;

    /** A search with {@link #DEFAULT_RESOLUTION} and {@link #DEFAULT_MAX_STEPS}. */
    public LatencySearch() {
        this(DEFAULT_RESOLUTION, DEFAULT_MAX_STEPS);
    }

    /**
     * @param resolution stop when the MACs-fraction interval between the best plan and the smallest too-slow one
     *                   is narrower than this, in (0, 1)
     * @param maxSteps   most candidate budgets tried (each timed unless its plan was timed already), at least 1
     */
    public LatencySearch(double resolution, int maxSteps) {
        if (!(resolution > 0 && resolution < 1)) {
            throw new IllegalArgumentException("resolution must be in (0, 1), got " + resolution);
        }
        if (maxSteps < 1) {
            throw new IllegalArgumentException("the latency search needs at least one step, got " + maxSteps);
        }
        this.resolution = resolution;
        this.maxSteps = maxSteps;
    }

    /**
     * A meter that runs networks with {@link InferenceEngine} on the first {@code batch} images of {@code images}:
     * at least {@code warmup} untimed forward passes and 0.3 s per network (at most 2000 passes), then the
     * <em>fastest</em> of {@code repeats} timed ones, in milliseconds per image. The fastest pass is the time the network needs when nothing else interrupts it — the most stable
     * statistic on a shared machine, where the median moves with the load. {@link LatencyMeter#timePair} alternates
     * the two networks' timed passes (a, b, a, b, …), so both see the same conditions.
     *
     * @throws IllegalArgumentException when {@code batch < 1}, {@code warmup < 0} or {@code repeats < 1}
     */
    public static LatencyMeter engine(ImageSource images, int batch, int warmup, int repeats) {
        Objects.requireNonNull(images, "images");
        if (batch < 1 || warmup < 0 || repeats < 1) {
            throw new IllegalArgumentException("latency needs batch >= 1, warmup >= 0 and repeats >= 1, got " + batch
                    + ", " + warmup + ", " + repeats);
        }
        return new EngineMeter(images, batch, warmup, repeats);
    }

    /** Least warm-up time per engine of {@link #engine}: 0.3 s. */
    static final long WARMUP_NANOS = 300_000_000L;
    /** Most warm-up passes per engine of {@link #engine}. */
    static final int MAX_WARMUP = 2000;

    /** {@link #engine}. */
    private record EngineMeter(ImageSource images, int batch, int warmup, int repeats) implements LatencyMeter {
        @Override
        public double time(Network net) {
            return timeAll(List.of(net))[0];
        }

        @Override
        public double[] timePair(Network a, Network b) {
            return timeAll(List.of(a, b));
        }

        private double[] timeAll(List<Network> nets) {
            for (Network n : nets) {
                var in = n.input();
                if (images.channels() != in.channels() || images.height() != in.height()
                        || images.width() != in.width()) {
                    throw new IllegalArgumentException("timing images are " + images.channels() + "x"
                            + images.height() + "x" + images.width() + " but '" + n.name() + "' expects "
                            + in.channels() + "x" + in.height() + "x" + in.width());
                }
            }
            java.util.Iterator<Batch> it = images.batches(batch).iterator();
            if (!it.hasNext()) {
                throw new IllegalArgumentException("no images to time the network on");
            }
            Batch first = it.next();
            if (it instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing the image iterator: {}", e.toString());
                }
            }
            List<InferenceEngine> engines = new ArrayList<>();
            double[] best = new double[nets.size()];
            java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
            try (INDArray x = first.toINDArray()) {
                for (Network n : nets) {
                    engines.add(new InferenceEngine(n));
                }
                // at least `warmup` passes and WARMUP_NANOS per engine: the JIT compiles the engine's Java code over
                // the first hundreds of passes of a small network, which a fixed few passes do not cover
                for (InferenceEngine e : engines) {
                    long start = System.nanoTime();
                    for (int i = 0; i < warmup || (System.nanoTime() - start < WARMUP_NANOS && i < MAX_WARMUP); i++) {
                        e.forward(x).close();
                    }
                }
                for (int r = 0; r < repeats; r++) {
                    for (int k = 0; k < engines.size(); k++) {
                        long t0 = System.nanoTime();
                        INDArray y = engines.get(k).forward(x);
                        long t1 = System.nanoTime();
                        y.close();
                        best[k] = Math.min(best[k], (t1 - t0) / 1e6 / first.n());
                    }
                }
            } finally {
                engines.forEach(InferenceEngine::close);
            }
            return best;
        }
    }

    /**
     * Finds the plan with the largest MACs budget whose measured latency fraction is at most {@code target}.
     *
     * @param net      the network the table was measured on. Not modified.
     * @param table    its sensitivity table
     * @param target   fraction of the unpruned network's latency to keep, in (0, 1]
     * @param template minimum channels, channel multiple and tolerance of each MACs budget (its resource and
     *                 fraction are ignored)
     * @param damage   the solver's predicted damage
     * @param meter    times a network
     * @return the plan and the steps
     * @throws IllegalArgumentException when no plan tried was timed within the target (saying the fastest one found)
     */
    public Result search(Network net, SensitivityTable table, double target, BudgetTarget template, Damage damage,
                         LatencyMeter meter) {
        if (!(target > 0 && target <= 1)) {
            throw new IllegalArgumentException("the fraction of the latency to keep must be in (0, 1], got " + target);
        }
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(meter, "meter");
        long macs0 = ModelSize.of(net).totalMacs();
        if (target == 1) {
            // the unpruned network meets a budget of its own latency by definition, whatever the timing noise
            double baseline = baseline(meter, net);
            BudgetPlan whole = Budget.solve(net, table, macs(template, 1), damage);
            return new Result(whole, target, baseline, baseline,
                    List.of(new Step(1, 1, baseline, baseline, 1, true, true)));
        }
        List<Step> steps = new ArrayList<>();
        Map<List<Integer>, double[]> timed = new HashMap<>();
        double below = 0;
        double above = 1;
        double bestF = Double.NaN;
        BudgetPlan best = null;
        Step bestStep = null;
        Step fastest = null;
        double f = target;
        for (int k = 0; k < maxSteps; k++) {
            BudgetPlan plan;
            try {
                plan = Budget.solve(net, table, macs(template, f), damage);
            } catch (IllegalArgumentException e) {
                LOG.debug("latency search: no plan for macs<={}: {}", f, e.getMessage());
                steps.add(new Step(f, Double.NaN, Double.NaN, Double.NaN, Double.NaN, false, false));
                below = Math.max(below, f);
                f = next(below, above, best == null ? Double.NaN : bestF, Double.NaN, Double.NaN, target);
                if (Double.isNaN(f)) {
                    break;
                }
                continue;
            }
            List<Integer> key = plan.choices().stream().map(BudgetPlan.Choice::keep).toList();
            double[] known = timed.get(key);
            double[] times = known != null ? known : timePair(meter, net, Budget.architecture(net, plan));
            timed.put(key, times);
            double fraction = times[1] / times[0];
            boolean meets = fraction <= target;
            Step step = new Step(f, (double) Budget.measure(net, plan, BudgetTarget.Resource.MACS) / macs0, times[0],
                    times[1], fraction, true, meets);
            steps.add(step);
            LOG.info(String.format(Locale.ROOT, "latency search: macs<=%.4f -> kept macs %.4f, latency %.4f of the"
                    + " unpruned network (target %.4f)%s", f, step.macsKept(), fraction, target,
                    known != null ? ", same plan as before" : ""));
            if (fastest == null || fraction < fastest.latencyFraction()) {
                fastest = step;
            }
            if (meets) {
                if (best == null || f > bestF) {
                    best = plan;
                    bestF = f;
                    bestStep = step;
                }
            } else {
                above = Math.min(above, f);
            }
            f = next(below, above, best == null ? Double.NaN : bestF, f, fraction, target);
            if (Double.isNaN(f)) {
                break;
            }
        }
        if (best == null) {
            String got = fastest == null ? "the solver found no plan for any MACs budget tried (down to "
                    + String.format(Locale.ROOT, "%.4f", below) + ")"
                    : String.format(Locale.ROOT, "the fastest plan tried (macs kept %.4f) measured %.4f of the"
                    + " unpruned network's latency", fastest.macsKept(), fastest.latencyFraction());
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "latency target %.4f not reached in %d steps: %s", target, steps.size(), got));
        }
        return new Result(best, target, bestStep.baselineTime(), bestStep.time(), steps);
    }

    /**
     * Times the unpruned network, then the candidate, back to back, so that a change of the machine's load between
     * steps moves both: {unpruned, candidate}.
     */
    private static double[] timePair(LatencyMeter meter, Network net, Network candidate) {
        double[] t = meter.timePair(net, candidate);
        if (!(t[0] > 0)) {
            throw new IllegalStateException("measured a non-positive time " + t[0] + " for the unpruned network");
        }
        return t;
    }

    private static double baseline(LatencyMeter meter, Network net) {
        double t = meter.time(net);
        if (!(t > 0)) {
            throw new IllegalStateException("measured a non-positive time " + t + " for the unpruned network");
        }
        return t;
    }

    /** The next MACs fraction to try, or NaN to stop. */
    private double next(double below, double above, double bestF, double lastF, double lastFraction, double target) {
        if (!Double.isNaN(bestF)) {
            return above - bestF < resolution ? Double.NaN : (bestF + above) / 2;
        }
        if (above - below < resolution) {
            return Double.NaN;
        }
        if (!Double.isNaN(lastFraction) && lastFraction > target) {
            double guess = lastF * target / lastFraction;
            if (guess > below && guess < above) {
                return guess;
            }
        }
        return (below + above) / 2;
    }

    private static BudgetTarget macs(BudgetTarget template, double f) {
        return new BudgetTarget(BudgetTarget.Resource.MACS, f, template.minChannels(), template.channelMultiple(),
                template.tolerance());
    }
}
