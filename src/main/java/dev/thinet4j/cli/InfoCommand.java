package dev.thinet4j.cli;

import dev.thinet4j.model.InputSpec;
import dev.thinet4j.model.LayerSize;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Shapes;
import dev.thinet4j.onnx.ModelSummary;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.onnx.UnsupportedOnnxException;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code thinet4j info}: per-layer table and the {@code total params=… macs=…} line. For a model
 * the importer refuses as unsupported it prints what it can (opset, inputs and outputs, the op
 * types with counts, the unsupported ones marked and listed) and then fails with the import error.
 */
final class InfoCommand implements Command {
    @Override
    public String name() {
        return "info";
    }

    @Override
    public String usage() {
        return "thinet4j info --model M.onnx [--input-shape 1x3x224x224] [--all]";
    }

    @Override
    public int run(List<String> argv, PrintStream out) {
        CliArgs args = CliArgs.parse(name(), argv, Set.of("all"));
        Path model = args.existingFile("model");
        String shape = args.get("input-shape").orElse(null);
        boolean all = args.flag("all");
        args.finish();

        Network net;
        try {
            net = OnnxImporter.load(model);
        } catch (UnsupportedOnnxException e) {
            printSummary(out, OnnxImporter.inspect(model));
            throw e;
        }
        if (shape != null) {
            int[] s = Shapes.parse(shape);
            if (s.length != 4) {
                throw new UsageException(name() + ": --input-shape must be NxCxHxW, got " + shape);
            }
            net = net.withInput(new InputSpec(net.input().name(), s[1], s[2], s[3]));
        }
        ModelSize size = ModelSize.of(net);
        out.println("model " + model + "  input " + net.input().name() + " "
                + Shapes.format(net.input().shape(1)) + "  nodes " + net.nodes().size());
        out.printf("%-40s %-20s %8s %8s %14s %16s%n", "layer", "op", "in_ch", "out_ch", "params", "macs");
        for (LayerSize l : size.layers()) {
            if (all || l.params() > 0 || l.macs() > 0) {
                out.printf("%-40s %-20s %8d %8d %14d %16d%n", l.name(), l.opType(), l.inChannels(), l.outChannels(),
                        l.params(), l.macs());
            }
        }
        out.println(size.totalLine());
        return 0;
    }

    /** What is known about a model that does not import. */
    private static void printSummary(PrintStream out, ModelSummary s) {
        out.println("model " + s.source() + "  opset " + s.opset() + "  ir " + s.irVersion()
                + (s.producer().isEmpty() ? "" : "  producer " + s.producer()) + "  (not importable)");
        for (ModelSummary.TensorInfo t : s.inputs()) {
            out.println("input  " + t.name() + " " + t.type() + " " + t.shape());
        }
        for (ModelSummary.TensorInfo t : s.outputs()) {
            out.println("output " + t.name() + " " + t.type() + " " + t.shape());
        }
        java.util.Set<String> bad = new java.util.HashSet<>();
        for (ModelSummary.UnsupportedOp u : s.unsupported()) {
            bad.add(u.domain().isEmpty() ? u.opType() : u.domain() + ":" + u.opType());
        }
        out.printf("%-40s %8s%n", "op type", "count");
        s.opCounts().forEach((type, count) ->
                out.printf("%-40s %8d%s%n", type, count, bad.contains(type) ? "  unsupported" : ""));
        if (!s.allOpsSupported()) {
            out.println(s.unsupportedText());
        }
    }
}
