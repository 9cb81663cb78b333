package dev.thinet4j.cli;

import dev.thinet4j.data.DataOptions;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.Labels;
import dev.thinet4j.eval.Accuracy;
import dev.thinet4j.eval.Evaluation;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxImporter;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code thinet4j eval}: top-1 accuracy of a model on labelled images; prints {@code accuracy=<fraction>}. */
final class EvalCommand implements Command {
    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String usage() {
        return "thinet4j eval --model M.onnx --data IMAGES --labels LABELS [--limit N] [--batch 64]"
                + " [--mean m1,m2,m3 --std s1,s2,s3] [--resize 256 --crop 224]";
    }

    @Override
    public int run(List<String> argv, PrintStream out) throws Exception {
        CliArgs args = CliArgs.parse(name(), argv, Set.of());
        Path modelPath = args.existingFile("model");
        Path dataPath = args.existingFile("data");
        Path labelsPath = args.existingFile("labels");
        int limit = args.getInt("limit", -1);
        int batchSize = args.getInt("batch", 64);
        DataOptions options = DataArgs.options(args, name());
        args.finish();
        if (batchSize < 1) {
            throw new UsageException(name() + ": --batch must be positive, got " + batchSize);
        }

        Network net = OnnxImporter.load(modelPath);
        int[] labels = Labels.read(labelsPath);
        Accuracy accuracy;
        try (ImageSource opened = ImageSources.open(dataPath, options)) {
            DataArgs.checkMatches(opened, net, dataPath);
            ImageSource source = limit > 0 ? ImageSources.limit(opened, limit) : opened;
            int total = source.size();
            if (total >= 0 && labels.length < total) {
                throw new IllegalArgumentException("labels file " + labelsPath + " has " + labels.length
                        + " labels but the data has " + total + " images");
            }
            accuracy = Evaluation.top1(net, source, labels, batchSize);
        }
        out.printf(Locale.ROOT, "accuracy=%.6f%n", accuracy.fraction());
        out.println("images=" + accuracy.images());
        return 0;
    }
}
