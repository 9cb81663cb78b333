package dev.thinet4j.examples;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.Labels;
import dev.thinet4j.eval.Evaluation;
import dev.thinet4j.eval.ModelSnapshot;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.FineTuner;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.ProgressListener;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.report.HtmlReport;
import dev.thinet4j.report.LayerReport;
import dev.thinet4j.selection.Criterion;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import dev.thinet4j.training.FineTuningHook;
import dev.thinet4j.training.LrSchedule;
import dev.thinet4j.training.OptimizerType;
import dev.thinet4j.training.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The main job of the README: ThiNet on a VGG-style network with BN, on data the project ships.
 *
 * <p>Loads {@code models/vgg_bn_fc.onnx} (a VGG-BN for 28×28 Fashion-MNIST, exported by PyTorch;
 * {@code tools/fixtures/make_fixtures.py} regenerates it), evaluates it on the shipped 2,000 test
 * images, prunes it layer by layer with the {@code thinet} criterion and full least-squares reconstruction
 * ({@code uniform} policy, ratio 0.35: a third of every conv's channels, 2.2× fewer MACs), once without and
 * once with fine-tuning (one epoch after each pruned layer, then {@code --final-epochs} with a cosine
 * schedule), evaluates again, times the three models and writes the pruned model to {@code target/vgg_bn_fc_thinet.onnx}, its report as CSV and an
 * HTML page ({@code target/vgg_bn_fc_thinet.html}) with the accuracy / size / latency of the three models.
 *
 * <p>With {@code --gap} the same flow runs ThiNet-GAP ({@code vgg-gap} policy): the fully connected head is
 * replaced by global average pooling and one linear layer, initialised by least squares to the original
 * logits, before the convs are pruned; the fine-tuning trains it with the rest. Its files are
 * {@code target/vgg_bn_fc_thinet_gap.*}.
 *
 * <p>Options (all optional): {@code --policy vgg|uniform --ratio R --images N --final-epochs N --layer-lr LR
 * --final-lr LR --quick --gap}. {@code --policy vgg --ratio 0.7} is ThiNet's VGG strategy (every conv but the
 * last three; on this 6-conv network 0.7 is needed for 2× fewer MACs).
 */
public final class VggThinetExample {
    private VggThinetExample() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        boolean gap = opt.containsKey("gap");
        // defaults: uniform 0.35 removes a third of every conv's channels (2.2x fewer MACs); on this 6-conv
        // network the vgg policy (every conv but the last three) needs 0.7 for 2x and loses more accuracy
        String policyName = opt.getOrDefault("policy", gap ? "vgg" : "uniform");
        double ratio = Double.parseDouble(opt.getOrDefault("ratio", policyName.startsWith("vgg") ? "0.7" : "0.35"));
        int images = Integer.parseInt(opt.getOrDefault("images", "200"));
        int finalEpochs = Integer.parseInt(opt.getOrDefault("final-epochs", "2"));
        double layerLr = Double.parseDouble(opt.getOrDefault("layer-lr", "1e-3"));
        double finalLr = Double.parseDouble(opt.getOrDefault("final-lr", "1e-4"));
        boolean quick = opt.containsKey("quick");
        if (gap) {
            if (!policyName.equals("vgg")) {
                throw new IllegalArgumentException("--gap goes with --policy vgg (ThiNet-GAP), not '" + policyName + "'");
            }
            // ThiNet-GAP: the FC head becomes global average pooling + one linear layer (least-squares init),
            // replaced by the pruner before the convs are pruned and trained by the fine-tuner with the rest
            policyName = "vgg-gap";
        }
        String stem = gap ? "vgg_bn_fc_thinet_gap" : "vgg_bn_fc_thinet";
        Path root = Path.of(".");
        Path model = root.resolve("models/vgg_bn_fc.onnx");
        Path data = root.resolve("data/fashion-mnist");
        Network net = OnnxImporter.load(model);
        ModelSize before = ModelSize.of(net);
        double acc0 = accuracy(net, data);
        List<ModelSnapshot> snapshots = new ArrayList<>();
        List<Network> timed = new ArrayList<>(List.of(net));
        System.out.printf(Locale.ROOT, "original: accuracy=%.4f params=%d macs=%d%n", acc0, before.totalParams(),
                before.totalMacs());
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(Reconstruction.FULL)
                .images(images).pointsPerImage(10).seed(1).build();
        ProgressListener progress = new ProgressListener() {
            @Override
            public void layerFinished(int index, int total, LayerReport r) {
                System.out.printf(Locale.ROOT, "  [%d/%d] %-28s %3d -> %-3d channels  residual %.4f -> %.4f  %.1f s%n",
                        index, total, r.layer(), r.channelsBefore(), r.channelsAfter(), r.residualBefore(),
                        r.residualAfter(), r.seconds());
            }
        };

        // 1. ThiNet with full least-squares reconstruction, no fine-tuning
        System.out.printf(Locale.ROOT, "pruning: policy %s, ratio %.2f, thinet, full reconstruction%n", policyName, ratio);
        PruningResult pruned;
        try (ImageSource calib = ImageSources.open(data.resolve("train-images-idx3-ubyte.gz"))) {
            pruned = new ThiNetPruner(config, FineTuner.NONE, progress).prune(net, Policies.parse(policyName, ratio),
                    calib);
        }
        ModelSize after = ModelSize.of(pruned.network());
        double acc1 = accuracy(pruned.network(), data);
        timed.add(pruned.network());
        if (gap) {
            System.out.println("head: " + pruned.report().provenance().get("head") + ", init "
                    + pruned.report().provenance().get("head_init") + ", residual "
                    + pruned.report().provenance().get("head_residual") + " on "
                    + pruned.report().provenance().get("head_images") + " images");
        }
        System.out.printf(Locale.ROOT, "pruned: accuracy=%.4f params=%d (%.1f%%) macs=%d (%.1f%%)%n", acc1,
                after.totalParams(), 100.0 * after.totalParams() / before.totalParams(), after.totalMacs(),
                100.0 * after.totalMacs() / before.totalMacs());

        // 2. the same, fine-tuning after every pruned layer and at the end (ThiNet: 1 epoch per layer at
        //    lr 1e-3, then a longer run at 1e-4)
        TrainingConfig perLayer = TrainingConfig.builder().epochs(1).batchSize(64).optimizer(OptimizerType.SGD)
                .learningRate(layerLr).momentum(0.9).weightDecay(5e-4).seed(1).build();
        TrainingConfig atEnd = perLayer.toBuilder().epochs(finalEpochs).learningRate(finalLr)
                .schedule(LrSchedule.cosine()).build();
        if (quick) {
            perLayer = perLayer.toBuilder().maxIterations(20).build();
            atEnd = atEnd.toBuilder().epochs(1).maxIterations(40).build();
        }
        System.out.printf(Locale.ROOT, "pruning with fine-tuning: %s per layer, %s at the end%n",
                quick ? "20 iterations" : "1 epoch", quick ? "40 iterations" : finalEpochs + " epochs");
        PruningResult tuned;
        try (ImageSource calib = ImageSources.open(data.resolve("train-images-idx3-ubyte.gz"));
             ImageSource train = ImageSources.withLabels(ImageSources.open(data.resolve("train-images-idx3-ubyte.gz")),
                     Labels.read(data.resolve("train-labels-idx1-ubyte.gz")))) {
            FineTuningHook hook = new FineTuningHook(train, perLayer, atEnd);
            tuned = new ThiNetPruner(config, hook, progress).prune(net, Policies.parse(policyName, ratio), calib);
        }
        double acc2 = accuracy(tuned.network(), data);
        timed.add(tuned.network());

        // latency last, the three models one after another, when the JVM is warm and no training runs
        // beside it (timed right after start-up, a small network measured many times slower)
        String[] stages = {"original", "pruned", "pruned + fine-tuned"};
        double[] accs = {acc0, acc1, acc2};
        double[] ms = latencies(timed, data);
        for (int i = 0; i < stages.length; i++) {
            snapshots.add(ModelSnapshot.of(stages[i], timed.get(i), accs[i], ms[i]));
        }
        System.out.printf(Locale.ROOT, "pruned + fine-tuned: accuracy=%.4f%n", acc2);

        System.out.println();
        System.out.printf(Locale.ROOT, "%-22s %9s %10s %12s %12s%n", "stage", "top-1", "params", "MACs", "ms/image");
        for (ModelSnapshot m : snapshots) {
            System.out.printf(Locale.ROOT, "%-22s %9.4f %10d %12d %12.3f%n", m.stage(), m.accuracy(), m.params(),
                    m.macs(), m.latencyMs());
        }
        System.out.printf(Locale.ROOT, "MACs reduced %.2fx, params reduced %.2fx%n",
                (double) before.totalMacs() / after.totalMacs(), (double) before.totalParams() / after.totalParams());

        Path out = root.resolve("target/" + stem + ".onnx");
        Files.createDirectories(out.getParent());
        OnnxExporter.save(tuned.network(), out);
        tuned.report().writeCsv(root.resolve("target/" + stem + ".csv"));
        Path html = root.resolve("target/" + stem + ".html");
        HtmlReport.builder(tuned.report()).title("ThiNet on VGG-BN (Fashion-MNIST), " + policyName + " " + ratio)
                .snapshots(snapshots).layerSizes(before, ModelSize.of(tuned.network()))
                .note("Accuracy: top-1 on the shipped 2,000 Fashion-MNIST test images. Pruning used " + images
                        + " calibration images of the training subset; fine-tuning used the 10,000 training images."
                        + " Latency: " + Evaluation.latencySetup() + "; the lowest of three such medians, the three"
                        + " models timed one after another at the end of the run.")
                .build().writeHtml(html);
        System.out.println("wrote " + out + ", target/" + stem + ".csv and " + html);
    }

    /** {@code --key value} and {@code --flag} arguments. */
    private static Map<String, String> options(String[] args) {
        Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + args[i] + "'; options: --policy vgg|uniform"
                        + " --ratio R --images N --final-epochs N --layer-lr LR --final-lr LR --quick --gap");
            }
            String key = args[i].substring(2);
            if (key.equals("quick") || key.equals("gap")) {
                m.put(key, "true");
            } else {
                m.put(key, args[++i]);
            }
        }
        return m;
    }

    /** Top-1 accuracy on the shipped test images. */
    static double accuracy(Network net, Path data) throws Exception {
        int[] labels = Labels.read(data.resolve("t10k-labels-idx1-ubyte.gz"));
        try (ImageSource test = ImageSources.open(data.resolve("t10k-images-idx3-ubyte.gz"))) {
            return Evaluation.accuracy(net, test, labels, 250);
        }
    }

    /**
     * Median milliseconds per image, one test image per forward pass, for each network: three rounds over
     * all of them, keeping each network's lowest median (the least disturbed by other work on the machine).
     */
    static double[] latencies(List<Network> nets, Path data) throws Exception {
        double[] best = new double[nets.size()];
        java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < nets.size(); i++) {
                best[i] = Math.min(best[i], latency(nets.get(i), data));
            }
        }
        return best;
    }

    /** Median milliseconds per image, one test image per forward pass. */
    static double latency(Network net, Path data) throws Exception {
        try (ImageSource test = ImageSources.open(data.resolve("t10k-images-idx3-ubyte.gz"))) {
            return Evaluation.latencyMillisPerImage(net, test);
        }
    }
}
