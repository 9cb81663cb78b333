package dev.thinet4j.training;

import dev.thinet4j.model.Network;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Central-difference gradient checks of a {@link TrainableNetwork} in float64: for up to
 * {@code perTensor} seeded entries of every parameter (and of the input), the analytic gradient of
 * {@link TrainableNetwork#lossAndGradients} against (L(θ + h) − L(θ − h))/2h.
 */
final class GradientCheck {
    /** One compared entry. */
    record Entry(String tensor, long index, double analytic, double numeric) {
        double error() {
            return Math.abs(analytic - numeric);
        }
    }

    /** The comparison of one network. */
    record Report(List<Entry> entries, double loss) {
        /** Worst |a − n| / (atol + |n|)·… as a pass/fail number: ≤ 1 passes. */
        double worst(double atol, double rtol) {
            double w = 0;
            for (Entry e : entries) {
                w = Math.max(w, e.error() / (atol + rtol * Math.max(Math.abs(e.analytic), Math.abs(e.numeric))));
            }
            return w;
        }

        Entry worstEntry(double atol, double rtol) {
            Entry worst = null;
            double w = -1;
            for (Entry e : entries) {
                double v = e.error() / (atol + rtol * Math.max(Math.abs(e.analytic), Math.abs(e.numeric)));
                if (v > w) {
                    w = v;
                    worst = e;
                }
            }
            return worst;
        }

        /** max |analytic| over all entries: a check on all zeros would be vacuous. */
        double maxAnalytic() {
            double m = 0;
            for (Entry e : entries) {
                m = Math.max(m, Math.abs(e.analytic));
            }
            return m;
        }
    }

    private GradientCheck() {
    }

    static INDArray randomInput(Network net, int batch, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        var in = net.input();
        double[] v = new double[batch * in.channels() * in.height() * in.width()];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextDouble(-1, 1);
        }
        return Nd4j.create(v, new long[]{batch, in.channels(), in.height(), in.width()}, DataType.DOUBLE);
    }

    static int[] randomLabels(int batch, int classes, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) {
            y[i] = r.nextInt(classes);
        }
        return y;
    }

    static Report run(Network net, int batch, int classes, long seed, PassOptions pass, int perTensor, double h) {
        try (TrainableNetwork tn = TrainableNetwork.of(net, Precision.FLOAT64);
             INDArray x = randomInput(net, batch, seed)) {
            int[] labels = randomLabels(batch, classes, seed);
            StepResult r = tn.lossAndGradients(x, labels, pass.withInputGradient(true));
            List<Entry> entries = new ArrayList<>();
            SplittableRandom pick = new SplittableRandom(seed + 17);
            for (Parameter p : tn.parameters()) {
                INDArray v = p.value();
                for (long i : indices(v.length(), perTensor, pick)) {
                    double numeric = central(tn, x, labels, pass, v, i, h);
                    entries.add(new Entry(p.name(), i, p.gradient().getDouble(i), numeric));
                }
            }
            INDArray gx = r.inputGradient();
            for (long i : indices(x.length(), perTensor, pick)) {
                entries.add(new Entry("input", i, gx.getDouble(i), central(tn, x, labels, pass, x, i, h)));
            }
            gx.close();
            return new Report(entries, r.loss());
        }
    }

    private static double central(TrainableNetwork tn, INDArray x, int[] labels, PassOptions pass, INDArray target,
                                  long i, double h) {
        double v = target.getDouble(i);
        target.putScalar(i, v + h);
        double plus = tn.loss(x, labels, pass);
        target.putScalar(i, v - h);
        double minus = tn.loss(x, labels, pass);
        target.putScalar(i, v);
        return (plus - minus) / (2 * h);
    }

    private static long[] indices(long n, int max, SplittableRandom r) {
        if (n <= max) {
            long[] all = new long[(int) n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        long[] some = new long[max];
        for (int i = 0; i < max; i++) {
            some[i] = r.nextLong(n);
        }
        return some;
    }
}
