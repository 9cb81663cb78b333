package dev.thinet4j.cli;

import dev.thinet4j.fold.FoldChange;
import dev.thinet4j.fold.FoldOptions;
import dev.thinet4j.fold.FoldResult;
import dev.thinet4j.fold.FoldSkip;
import dev.thinet4j.fold.Folding;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code thinet4j fold}: applies every exact folding / re-parameterisation rewrite
 * ({@link Folding#foldAll}) and writes the result. Prints {@code before:} / {@code after:} lines with
 * {@code total params=… macs=…} and {@code batchnorm=<count>}, one line per rewrite and one
 * {@code kept …} line per pattern left alone.
 */
final class FoldCommand implements Command {
    @Override
    public String name() {
        return "fold";
    }

    @Override
    public String usage() {
        return "thinet4j fold --model IN.onnx --out OUT.onnx [--avgpool] [--allow-more-macs]";
    }

    @Override
    public int run(List<String> argv, PrintStream out) {
        CliArgs args = CliArgs.parse(name(), argv, Set.of("avgpool", "allow-more-macs"));
        Path modelPath = args.existingFile("model");
        Path outPath = Path.of(args.require("out"));
        FoldOptions options = FoldOptions.defaults().withAvgPoolToConv(args.flag("avgpool"))
                .withAllowMoreMacs(args.flag("allow-more-macs"));
        args.finish();
        if (sameFile(outPath, modelPath)) {
            throw new UsageException(name() + ": --out " + outPath + " is the input model; refusing to overwrite it");
        }

        Network net = OnnxImporter.load(modelPath);
        out.println("before: " + ModelSize.of(net).totalLine());
        out.println("before: batchnorm=" + net.nodesOf(Op.BatchNorm.class).size());
        FoldResult result = Folding.foldAll(net, options);
        for (FoldChange c : result.changes()) {
            out.println(c.description());
        }
        for (FoldSkip s : result.skipped()) {
            out.println(s);
        }
        Network folded = result.network();
        out.println("changes=" + result.changes().size());
        out.println("after: " + ModelSize.of(folded).totalLine());
        out.println("after: batchnorm=" + folded.nodesOf(Op.BatchNorm.class).size());
        OnnxExporter.save(folded, outPath);
        out.println("wrote " + outPath);
        return 0;
    }

    private static boolean sameFile(Path out, Path model) {
        if (out.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
            return true;
        }
        try {
            return Files.exists(out) && Files.isSameFile(out, model);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
