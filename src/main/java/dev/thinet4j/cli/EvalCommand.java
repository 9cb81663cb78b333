package dev.thinet4j.cli;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.DataOptions;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.Labels;
import dev.thinet4j.data.Normalization;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxImporter;
import org.nd4j.linalg.api.ndarray.INDArray;

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
        long correct = 0;
        long seen = 0;
        try (ImageSource source = ImageSources.open(dataPath, options);
             InferenceEngine engine = new InferenceEngine(net)) {
            DataArgs.checkMatches(source, net, dataPath);
            int total = limit > 0 ? Math.min(limit, source.size()) : source.size();
            if (labels.length < total) {
                throw new IllegalArgumentException("labels file " + labelsPath + " has " + labels.length
                        + " labels but the data has " + total + " images");
            }
            for (Batch batch : source.batches(batchSize)) {
                int n = (int) Math.min(batch.n(), total - seen);
                if (n <= 0) {
                    break;
                }
                try (INDArray x = batch.toINDArray(); INDArray logits = engine.forward(x)) {
                    INDArray pred = logits.argMax(1);
                    for (int i = 0; i < n; i++) {
                        if (pred.getInt(i) == labels[batch.offset() + i]) {
                            correct++;
                        }
                    }
                    pred.close();
                }
                seen += n;
            }
        }
        out.printf(Locale.ROOT, "accuracy=%.6f%n", seen == 0 ? 0.0 : (double) correct / seen);
        out.println("images=" + seen);
        return 0;
    }
}
