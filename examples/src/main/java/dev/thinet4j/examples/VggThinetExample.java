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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The main job of the README: ThiNet on a VGG-style network with BN, on data the project ships.
 *
 * <p>Loads {@code models/vgg_bn_fc.onnx} (a VGG-BN for 28×28 Fashion-MNIST, exported by PyTorch;
 * {@code tools/fixtures/make_fixtures.py} regenerates it), evaluates it on the shipped 2,000 test
 * images, prunes it with the {@code vgg} policy (every conv but the last three) at ratio 0.5 with the
 * {@code thinet} criterion, once without and once with full least-squares reconstruction, evaluates
 * again and writes the pruned model to {@code target/vgg_bn_fc_thinet.onnx}, its report as CSV and an
 * HTML page ({@code target/vgg_bn_fc_thinet.html}) with the accuracy / size / latency of the three models.
 *
 * <p>Arguments (all optional): {@code [ratio] [calibration images]}.
 */
public final class VggThinetExample {
    private VggThinetExample() {
    }

    public static void main(String[] args) throws Exception {
        double ratio = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        int images = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Path root = Path.of(".");
        Path model = root.resolve("models/vgg_bn_fc.onnx");
        Path data = root.resolve("data/fashion-mnist");
        Network net = OnnxImporter.load(model);
        ModelSize before = ModelSize.of(net);
        double acc0 = accuracy(net, data);
        List<ModelSnapshot> snapshots = new ArrayList<>();
        snapshots.add(ModelSnapshot.of("original", net, acc0, latency(net, data)));
        System.out.printf(Locale.ROOT, "original: accuracy=%.4f params=%d macs=%d%n", acc0, before.totalParams(),
                before.totalMacs());

        for (Reconstruction recon : new Reconstruction[]{Reconstruction.NONE, Reconstruction.FULL}) {
            PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(recon)
                    .images(images).pointsPerImage(10).seed(1).build();
            ProgressListener progress = new ProgressListener() {
                @Override
                public void layerFinished(int index, int total, LayerReport r) {
                    System.out.printf(Locale.ROOT, "  [%d/%d] %-28s %3d -> %-3d channels  residual %.4f -> %.4f%n",
                            index, total, r.layer(), r.channelsBefore(), r.channelsAfter(), r.residualBefore(),
                            r.residualAfter());
                }
            };
            System.out.println("pruning with thinet, reconstruction " + recon.cliName() + ", ratio " + ratio);
            PruningResult result;
            try (ImageSource calib = ImageSources.open(data.resolve("train-images-idx3-ubyte.gz"))) {
                result = new ThiNetPruner(config, FineTuner.NONE, progress).prune(net, Policies.vgg(ratio), calib);
            }
            ModelSize after = ModelSize.of(result.network());
            double acc = accuracy(result.network(), data);
            snapshots.add(ModelSnapshot.of("pruned (" + recon.cliName() + ")", result.network(), acc,
                    latency(result.network(), data)));
            System.out.printf(Locale.ROOT, "pruned (%s): accuracy=%.4f params=%d (%.1f%%) macs=%d (%.1f%%)%n",
                    recon.cliName(), acc, after.totalParams(), 100.0 * after.totalParams() / before.totalParams(),
                    after.totalMacs(), 100.0 * after.totalMacs() / before.totalMacs());
            if (recon == Reconstruction.FULL) {
                Path out = root.resolve("target/vgg_bn_fc_thinet.onnx");
                Files.createDirectories(out.getParent());
                OnnxExporter.save(result.network(), out);
                result.report().writeCsv(root.resolve("target/vgg_bn_fc_thinet.csv"));
                System.out.println("wrote " + out + " and target/vgg_bn_fc_thinet.csv");
                Path html = root.resolve("target/vgg_bn_fc_thinet.html");
                HtmlReport.builder(result.report()).title("ThiNet on VGG-BN (Fashion-MNIST), ratio " + ratio)
                        .snapshots(snapshots).layerSizes(before, after)
                        .note("Accuracy: top-1 on the shipped 2,000 Fashion-MNIST test images. Pruning used " + images
                                + " calibration images of the training subset, no fine-tuning. Charts and the step"
                                + " table are for the run with full reconstruction. Latency: "
                                + Evaluation.latencySetup() + ".")
                        .build().writeHtml(html);
                System.out.println("wrote " + html);
            }
        }
    }

    /** Top-1 accuracy on the shipped test images. */
    static double accuracy(Network net, Path data) throws Exception {
        int[] labels = Labels.read(data.resolve("t10k-labels-idx1-ubyte.gz"));
        try (ImageSource test = ImageSources.open(data.resolve("t10k-images-idx3-ubyte.gz"))) {
            return Evaluation.accuracy(net, test, labels, 250);
        }
    }

    /** Median milliseconds per image, one test image per forward pass. */
    static double latency(Network net, Path data) throws Exception {
        try (ImageSource test = ImageSources.open(data.resolve("t10k-images-idx3-ubyte.gz"))) {
            return Evaluation.latencyMillisPerImage(net, test);
        }
    }
}
