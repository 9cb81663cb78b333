package dev.thinet4j.examples;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.Labels;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.FineTuner;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.training.FineTuningHook;
import dev.thinet4j.training.OptimizerType;
import dev.thinet4j.training.TrainingConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * ThiNet on the shipped bottleneck ResNet ({@code models/resnet_bottleneck.onnx}, PyTorch export): the
 * {@code resnet} policy prunes only the convs inside each residual block, so every block's output width
 * is unchanged (checked and printed). Prunes with full reconstruction, then again with fine-tuning.
 *
 * <p>Options: {@code --ratio R} (0.5), {@code --images N} (200), {@code --quick} (a few fine-tuning
 * iterations only, for CI).
 */
public final class ResNetThinetExample {
    private ResNetThinetExample() {
    }

    public static void main(String[] args) throws Exception {
        double ratio = 0.5;
        int images = 200;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--ratio" -> ratio = Double.parseDouble(args[++i]);
                case "--images" -> images = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --ratio R --images N --quick");
            }
        }
        Path data = Path.of("data/fashion-mnist");
        Network net = OnnxImporter.load(Path.of("models/resnet_bottleneck.onnx"));
        ModelSize before = ModelSize.of(net);
        double acc0 = VggThinetExample.accuracy(net, data);
        System.out.printf(Locale.ROOT, "original: accuracy=%.4f params=%d macs=%d%n", acc0, before.totalParams(),
                before.totalMacs());
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(Reconstruction.FULL)
                .images(images).pointsPerImage(10).seed(1).build();

        PruningResult pruned;
        try (ImageSource calib = ImageSources.open(data.resolve("train-images-idx3-ubyte.gz"))) {
            pruned = new ThiNetPruner(config).prune(net, Policies.resnet(ratio), calib);
        }
        double acc1 = VggThinetExample.accuracy(pruned.network(), data);
        ModelSize after = ModelSize.of(pruned.network());
        System.out.printf(Locale.ROOT, "pruned (resnet policy %.2f, %d layers): accuracy=%.4f params=%d macs=%d (%.1f%%)%n",
                ratio, pruned.report().layers().size(), acc1, after.totalParams(), after.totalMacs(),
                100.0 * after.totalMacs() / before.totalMacs());

        TrainingConfig perLayer = TrainingConfig.builder().epochs(1).batchSize(64).optimizer(OptimizerType.SGD)
                .learningRate(1e-3).momentum(0.9).weightDecay(5e-4).seed(1).maxIterations(quick ? 5 : 60).build();
        TrainingConfig atEnd = perLayer.toBuilder().learningRate(1e-4).maxIterations(quick ? 20 : 0).build();
        PruningResult tuned;
        try (ImageSource calib = ImageSources.open(data.resolve("train-images-idx3-ubyte.gz"));
             ImageSource train = ImageSources.withLabels(ImageSources.open(data.resolve("train-images-idx3-ubyte.gz")),
                     Labels.read(data.resolve("train-labels-idx1-ubyte.gz")))) {
            tuned = new ThiNetPruner(config, new FineTuningHook(train, perLayer, atEnd),
                    dev.thinet4j.pruner.ProgressListener.NONE).prune(net, Policies.resnet(ratio), calib);
        }
        double acc2 = VggThinetExample.accuracy(tuned.network(), data);
        System.out.printf(Locale.ROOT, "pruned + fine-tuned: accuracy=%.4f%n", acc2);

        // every residual block keeps its output width
        Map<String, int[]> s0 = net.shapes(1);
        Map<String, int[]> s1 = tuned.network().shapes(1);
        for (Node add : net.nodesOf(Op.Add.class)) {
            int w0 = s0.get(add.name())[1];
            int w1 = s1.get(add.name())[1];
            System.out.printf(Locale.ROOT, "  block %-28s output width %d -> %d%n", add.name(), w0, w1);
            if (w0 != w1) {
                throw new IllegalStateException("block " + add.name() + " changed width " + w0 + " -> " + w1);
            }
        }
        Path out = Path.of("target/resnet_bottleneck_thinet.onnx");
        Files.createDirectories(out.getParent());
        OnnxExporter.save(tuned.network(), out);
        System.out.println("wrote " + out);
    }
}
