package dev.thinet4j.cli;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.slimming.BlockScore;
import dev.thinet4j.slimming.DepthwiseStrategy;
import dev.thinet4j.slimming.LayerChange;
import dev.thinet4j.slimming.NetworkSlimming;
import dev.thinet4j.slimming.SlimmingConfig;
import dev.thinet4j.slimming.SlimmingResult;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code thinet4j slim}: network slimming by a global BN |γ| threshold, optionally after removing the
 * weakest residual blocks; prints a per-group table and a before/after summary.
 */
final class SlimCommand implements Command {
    @Override
    public String name() {
        return "slim";
    }

    @Override
    public String usage() {
        return "thinet4j slim --model IN.onnx --out OUT.onnx --global-percent 0.3 [--layer-keep 0.1]"
                + " [--remove-blocks N] [--depthwise keep-larger|intersect] [--no-absorb]";
    }

    @Override
    public int run(List<String> argv, PrintStream out) throws Exception {
        CliArgs args = CliArgs.parse(name(), argv, Set.of("no-absorb"));
        Path modelPath = args.existingFile("model");
        Path outPath = Path.of(args.require("out"));
        double percent = fraction(args.require("global-percent"), "global-percent", false);
        double layerKeep = fraction(args.get("layer-keep").orElse("0.1"), "layer-keep", true);
        int blocks = args.getInt("remove-blocks", 0);
        if (blocks < 0) {
            throw new UsageException(name() + ": --remove-blocks must be >= 0, got " + blocks);
        }
        DepthwiseStrategy depthwise;
        try {
            depthwise = DepthwiseStrategy.parse(args.get("depthwise").orElse("keep-larger"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(name() + ": --depthwise: " + e.getMessage());
        }
        boolean absorb = !args.flag("no-absorb");
        args.finish();
        if (Files.exists(outPath) && Files.isSameFile(outPath, modelPath)) {
            throw new UsageException(name() + ": --out " + outPath + " is the input model; refusing to overwrite it");
        }

        SlimmingConfig config = SlimmingConfig.builder().globalPercent(percent).layerKeep(layerKeep)
                .removeBlocks(blocks).depthwise(depthwise).absorb(absorb).build();
        Network net = OnnxImporter.load(modelPath);
        out.println("before: " + ModelSize.of(net).totalLine());
        SlimmingResult r = NetworkSlimming.slim(net, config);
        for (BlockScore b : r.removedBlocks()) {
            out.printf(Locale.ROOT, "removed block %s  (branch of %d nodes; %s mean |gamma|=%.6f)%n", b.add(),
                    b.interior().size(), b.batchNorm(), b.meanAbsGamma());
        }
        if (Double.isNaN(r.threshold())) {
            out.println("threshold: none (no conv is followed by a BatchNormalization that can be slimmed)");
        } else {
            out.printf(Locale.ROOT, "threshold: |gamma| < %.6g (global-percent %s, layer-keep %s, depthwise %s%s)%n",
                    r.threshold(), percent, layerKeep, depthwise.cliName(), absorb ? "" : ", no absorption");
        }
        out.printf("%-48s %9s %9s %10s%n", "group (producing conv)", "channels", "kept", "absorbed");
        for (LayerChange c : r.layers()) {
            String group = c.producers().get(0) + (c.producers().size() > 1 ? " +" + (c.producers().size() - 1) : "");
            String absorbed = c.absorptions().isEmpty() ? "-"
                    : c.absorptions().size() + (c.exact() ? " exact" : " border");
            out.printf("%-48s %9d %9d %10s%n", group, c.channelsBefore(), c.channelsAfter(), absorbed);
        }
        if (!r.skipped().isEmpty()) {
            out.println("not slimmed: " + r.skipped().size() + " group(s)");
            for (String s : r.skipped()) {
                out.println("  " + s);
            }
        }
        if (!r.exact()) {
            out.println("note: 'border' = absorbed into a zero-padded conv; exact only where its windows avoid the padding");
        }
        Network slim = r.network();
        out.printf("%-12s %16s %16s%n", "", "before", "after");
        out.printf("%-12s %16d %16d%n", "params", r.before().totalParams(), r.after().totalParams());
        out.printf("%-12s %16d %16d%n", "macs", r.before().totalMacs(), r.after().totalMacs());
        out.printf("%-12s %16d %16d%n", "bn layers", net.nodesOf(Op.BatchNorm.class).size(),
                slim.nodesOf(Op.BatchNorm.class).size());
        out.printf("%-12s %16d %16d%n", "bn channels", bnChannels(net), bnChannels(slim));
        OnnxExporter.save(slim, outPath);
        out.println("after: " + r.after().totalLine());
        out.println("wrote " + outPath);
        return 0;
    }

    private static long bnChannels(Network net) {
        return net.nodesOf(Op.BatchNorm.class).stream().mapToLong(n -> ((Op.BatchNorm) n.op()).channels()).sum();
    }

    private double fraction(String v, String option, boolean oneAllowed) {
        try {
            double x = Double.parseDouble(v.trim());
            if (x >= 0 && (oneAllowed ? x <= 1 : x < 1)) {
                return x;
            }
        } catch (NumberFormatException ignored) {
            // fall through to the usage error
        }
        throw new UsageException(name() + ": --" + option + " must be a number in [0, 1" + (oneAllowed ? "]" : ")")
                + ", got '" + v + "'");
    }
}
