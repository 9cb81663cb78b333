package dev.thinet4j.cli;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.DataOptions;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.engine.NativeThreads;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxImporter;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code thinet4j bench}: forward-pass speed of a model on real data, so that a pruned model can be compared
 * with its original. The first {@code --limit} images (default batch × repeats) are loaded into memory once and
 * cut into batches of {@code --batch} (a smaller last batch is dropped unless it is the only one); then
 * {@code --warmup} untimed and {@code --repeats} timed forward passes run, cycling through the batches. Prints
 * {@code images_per_second=} (batch size / median batch time), {@code median_batch_ms=},
 * {@code p10_batch_ms=} and {@code p90_batch_ms=} (10th and 90th percentile over the timed passes).
 */
final class BenchCommand implements Command {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String usage() {
        return "thinet4j bench --model M.onnx --data X [--batch 8] [--threads N] [--warmup 3] [--repeats 10]"
                + " [--limit N] [--mean m1,m2,m3 --std s1,s2,s3] [--resize 256 --crop 224]"
                + "  (--threads sets oneDNN/OpenMP and OpenBLAS threads at run time; libnd4j's element-wise"
                + " loops follow OMP_NUM_THREADS, so set that before start for an exact thread count)";
    }

    @Override
    public int run(List<String> argv, PrintStream out) throws Exception {
        CliArgs args = CliArgs.parse(name(), argv, Set.of());
        Path modelPath = args.existingFile("model");
        Path dataPath = args.existingFile("data");
        int batchSize = args.getInt("batch", 8);
        int threads = args.getInt("threads", 0);
        boolean threadsGiven = args.get("threads").isPresent();
        int warmup = args.getInt("warmup", 3);
        int repeats = args.getInt("repeats", 10);
        int limit = args.getInt("limit", -1);
        DataOptions options = DataArgs.options(args, name());
        args.finish();
        if (batchSize < 1) {
            throw new UsageException(name() + ": --batch must be positive, got " + batchSize);
        }
        if (threadsGiven && threads < 1) {
            throw new UsageException(name() + ": --threads must be positive, got " + threads);
        }
        if (warmup < 0) {
            throw new UsageException(name() + ": --warmup must be >= 0, got " + warmup);
        }
        if (repeats < 1) {
            throw new UsageException(name() + ": --repeats must be positive, got " + repeats);
        }
        if (args.get("limit").isPresent() && limit < 1) {
            throw new UsageException(name() + ": --limit must be positive, got " + limit);
        }

        Network net = OnnxImporter.load(modelPath);
        int ompBefore = NativeThreads.current();
        int blasBefore = NativeThreads.blasThreads();
        int effectiveThreads = threadsGiven ? NativeThreads.set(threads) : ompBefore;
        List<INDArray> batches = new ArrayList<>();
        try {
            int images;
            try (ImageSource opened = ImageSources.open(dataPath, options)) {
                DataArgs.checkMatches(opened, net, dataPath);
                int want = limit > 0 ? limit : (int) Math.min(Integer.MAX_VALUE, (long) batchSize * repeats);
                ImageSource source = ImageSources.limit(opened, want);
                images = 0;
                for (Batch b : source.batches(batchSize)) {
                    if (b.n() < batchSize && !batches.isEmpty()) {
                        break;
                    }
                    batches.add(b.toINDArray());
                    images += b.n();
                }
            }
            if (batches.isEmpty()) {
                throw new IllegalArgumentException("data " + dataPath + " has no images");
            }
            double[] ms = new double[repeats];
            try (InferenceEngine engine = new InferenceEngine(net)) {
                for (int i = 0; i < warmup; i++) {
                    engine.forward(batches.get(i % batches.size())).close();
                }
                for (int i = 0; i < repeats; i++) {
                    INDArray x = batches.get(i % batches.size());
                    long t0 = System.nanoTime();
                    INDArray y = engine.forward(x);
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                    y.close();
                }
            }
            Arrays.sort(ms);
            long perBatch = batches.get(0).size(0);
            double median = percentile(ms, 0.5);
            out.println("model=" + modelPath + " images=" + images + " batch=" + perBatch + " warmup=" + warmup
                    + " repeats=" + repeats + " threads=" + effectiveThreads + " OMP_NUM_THREADS="
                    + envOrUnset("OMP_NUM_THREADS"));
            out.printf(Locale.ROOT, "images_per_second=%.3f%n", perBatch / (median / 1000.0));
            out.printf(Locale.ROOT, "median_batch_ms=%.3f%n", median);
            out.printf(Locale.ROOT, "p10_batch_ms=%.3f%n", percentile(ms, 0.1));
            out.printf(Locale.ROOT, "p90_batch_ms=%.3f%n", percentile(ms, 0.9));
            return 0;
        } finally {
            batches.forEach(INDArray::close);
            if (threadsGiven) {
                NativeThreads.set(ompBefore, blasBefore);
            }
        }
    }

    private static String envOrUnset(String name) {
        String v = System.getenv(name);
        return v == null ? "unset" : v;
    }

    /** Linear interpolation between closest ranks of sorted values. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 1) {
            return sorted[0];
        }
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
