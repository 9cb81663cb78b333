package dev.thinet4j.cli;

import dev.thinet4j.data.DataOptions;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.ProgressListener;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.pruner.FineTuner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.report.LayerReport;
import dev.thinet4j.selection.Criterion;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code thinet4j prune}: layer-by-layer ThiNet pruning of an ONNX model. */
final class PruneCommand implements Command {
    @Override
    public String name() {
        return "prune";
    }

    @Override
    public String usage() {
        return "thinet4j prune --model IN.onnx --data CALIB --out OUT.onnx [--policy uniform|vgg|resnet|csv:FILE]"
                + " [--ratio 0.5] [--criterion thinet|thinet-tpami|l1|l2|apoz|bn-gamma|random]"
                + " [--reconstruct none|scale|full] [--images 100] [--points 10] [--seed 1] [--batch 32]"
                + " [--targets-from-original] [--report R.csv] [--mean … --std …]";
    }

    @Override
    public int run(List<String> argv, PrintStream out) throws Exception {
        CliArgs args = CliArgs.parse(name(), argv, Set.of("targets-from-original"));
        Path modelPath = args.existingFile("model");
        Path dataPath = args.existingFile("data");
        Path outPath = Path.of(args.require("out"));
        String policyName = args.get("policy").orElse("uniform");
        double ratio = parseRatio(args.get("ratio").orElse("0.5"));
        Criterion criterion = parse(() -> Criterion.parse(args.get("criterion").orElse("thinet")));
        Reconstruction recon = parse(() -> Reconstruction.parse(args.get("reconstruct").orElse("full")));
        PrunerConfig config = parse(() -> PrunerConfig.builder()
                .criterion(criterion)
                .reconstruction(recon)
                .images(args.getInt("images", 100))
                .pointsPerImage(args.getInt("points", 10))
                .seed(args.getInt("seed", 1))
                .batchSize(args.getInt("batch", 32))
                .targetsFromOriginal(args.flag("targets-from-original"))
                .build());
        Path reportPath = args.get("report").map(Path::of).orElse(null);
        DataOptions options = DataArgs.options(args, name());
        args.finish();

        if (Files.exists(outPath) && Files.isSameFile(outPath, modelPath)) {
            throw new UsageException(name() + ": --out " + outPath + " is the input model; refusing to overwrite it");
        }
        PruningPolicy policy = parse(() -> Policies.parse(policyName, ratio));
        Network net = OnnxImporter.load(modelPath);
        ModelSize before = ModelSize.of(net);
        out.println("before: " + before.totalLine());
        ProgressListener progress = new ProgressListener() {
            @Override
            public void layerStarted(int index, int total, String layer) {
                out.printf(Locale.ROOT, "[%d/%d] pruning %s%n", index, total, layer);
            }
        };
        PruningResult result;
        try (ImageSource data = ImageSources.open(dataPath, options)) {
            DataArgs.checkMatches(data, net, dataPath);
            result = new ThiNetPruner(config, FineTuner.NONE, progress).prune(net, policy, data);
        }
        OnnxExporter.save(result.network(), outPath);
        out.print(result.report().summary());
        out.println("after: " + ModelSize.of(result.network()).totalLine());
        if (reportPath != null) {
            result.report().writeCsv(reportPath);
            out.println("report " + reportPath);
        }
        out.println("wrote " + outPath);
        return 0;
    }

    private double parseRatio(String v) {
        try {
            double r = Double.parseDouble(v.trim());
            if (r >= 0 && r < 1) {
                return r;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new UsageException(name() + ": --ratio must be a number in [0, 1), got '" + v + "'");
    }

    private <T> T parse(java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(name() + ": " + e.getMessage());
        }
    }
}
