package dev.thinet4j.policy;

import dev.thinet4j.head.GapHeadOptions;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.PruningException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The built-in policies: {@code uniform}, {@code vgg}, {@code vgg-gap}, {@code resnet} and per-layer CSV. */
public final class Policies {
    private Policies() {
    }

    /**
     * Every conv whose output channels can be cut, once per coupled group (the group's first
     * producer stands for it), at the same ratio.
     *
     * @param ratio the fraction of channels removed from each layer, in [0, 1) (checked when planning)
     * @return the policy
     */
    public static PruningPolicy uniform(double ratio) {
        return named("uniform", net -> {
            List<LayerPlan> out = new ArrayList<>();
            for (String conv : distinctGroups(net, false)) {
                out.add(new LayerPlan(conv, ratio));
            }
            return out;
        });
    }

    /**
     * ThiNet's VGG-16 strategy: every prunable conv except the last three (conv1_1 … conv4_3 of
     * VGG-16), in network order. Channels coupled by a residual Add are not touched.
     *
     * @param ratio the fraction of channels removed from each layer, in [0, 1) (checked when planning)
     * @return the policy; planning throws {@link IllegalArgumentException} for a network of three convs or fewer
     */
    public static PruningPolicy vgg(double ratio) {
        return named("vgg", vggPlan("vgg", ratio));
    }

    /**
     * ThiNet-GAP: the {@link #vgg} plan, after the pruner has replaced the fully connected head by global
     * average pooling and one linear layer initialised by least squares to the original logits
     * ({@link GapHeadOptions#DEFAULTS}; see {@link dev.thinet4j.head.HeadReplacement}). A fine-tuner then
     * trains the new layer with the rest.
     *
     * @param ratio the fraction of channels removed from each layer, in [0, 1) (checked when planning)
     * @return the policy, named {@code vgg-gap}
     */
    public static PruningPolicy vggGap(double ratio) {
        return vggGap(ratio, GapHeadOptions.DEFAULTS);
    }

    /**
     * As {@link #vggGap(double)} with other head options.
     *
     * @param ratio   the fraction of channels removed from each layer, in [0, 1) (checked when planning)
     * @param options init, images and ridge of the new head
     * @return the policy, named {@code vgg-gap}
     */
    public static PruningPolicy vggGap(double ratio, GapHeadOptions options) {
        java.util.Objects.requireNonNull(options, "GAP head options");
        return named("vgg-gap", vggPlan("vgg-gap", ratio), options);
    }

    private static java.util.function.Function<Network, List<LayerPlan>> vggPlan(String name, double ratio) {
        return net -> {
            List<String> convs = net.nodesOf(dev.thinet4j.model.Op.Conv.class).stream().map(Node::name).toList();
            if (convs.size() <= 3) {
                throw new IllegalArgumentException("policy '" + name + "' prunes all convs but the last three, and '"
                        + net.name() + "' has only " + convs.size() + " convs");
            }
            Set<String> allowed = new HashSet<>(convs.subList(0, convs.size() - 3));
            List<LayerPlan> out = new ArrayList<>();
            for (String conv : distinctGroups(net, true)) {
                if (allowed.contains(conv)) {
                    out.add(new LayerPlan(conv, ratio));
                }
            }
            return out;
        };
    }

    /**
     * ThiNet's ResNet strategy: inside each residual block only the convs whose output stays inside
     * the block (conv1, conv2 of a bottleneck; conv1 of a basic block). The last conv of a block, the
     * projection shortcuts and the stem are never pruned, so every block's output width is kept.
     * Blocks are found from the graph's Add nodes, not from names.
     *
     * @param ratio the fraction of channels removed from each layer, in [0, 1) (checked when planning)
     * @return the policy; planning throws {@link IllegalArgumentException} for a network without residual blocks
     */
    public static PruningPolicy resnet(double ratio) {
        return named("resnet", net -> {
            List<ResidualBlocks.Block> blocks = ResidualBlocks.find(net);
            if (blocks.isEmpty()) {
                throw new IllegalArgumentException("policy 'resnet' found no residual blocks (Add nodes joining a"
                        + " shortcut) in '" + net.name() + "'; use 'vgg' or 'uniform'");
            }
            Set<String> inside = new HashSet<>();
            for (ResidualBlocks.Block b : blocks) {
                inside.addAll(b.interior());
            }
            List<LayerPlan> out = new ArrayList<>();
            for (String conv : distinctGroups(net, true)) {
                if (inside.contains(conv)) {
                    out.add(new LayerPlan(conv, ratio));
                }
            }
            return out;
        });
    }

    /**
     * Ratios per layer from a CSV file with header {@code layer,ratio}; {@code layer} is the conv's
     * node name as {@code thinet4j info} prints it. The file is read and checked here; the layer
     * names are checked against the network when planning.
     *
     * @param file the CSV file
     * @return the policy, named {@code csv:<file name>}
     * @throws IllegalArgumentException for an unknown or unprunable layer (listing the prunable ones),
     *                                  a bad ratio or a missing column — naming the file and line
     */
    public static PruningPolicy csv(Path file) {
        Map<String, Double> ratios = new LinkedHashMap<>();
        CSVParser p = null;
        try (Reader r = Files.newBufferedReader(file)) {
            try {
                p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true)
                        .setIgnoreEmptyLines(true).build().parse(r);
            } catch (IllegalArgumentException | UncheckedIOException e) {
                // Commons CSV: an empty or duplicate header name, or an unreadable first line
                throw new IllegalArgumentException("policy file " + file + " line 1: malformed header: "
                        + e.getMessage() + "; expected 'layer,ratio'", e);
            }
            if (!p.getHeaderMap().containsKey("layer") || !p.getHeaderMap().containsKey("ratio")) {
                throw new IllegalArgumentException("policy file " + file + " needs the header 'layer,ratio', found "
                        + p.getHeaderNames());
            }
            Iterator<CSVRecord> records = p.iterator();
            while (true) {
                CSVRecord rec;
                try {
                    if (!records.hasNext()) {
                        break;
                    }
                    rec = records.next();
                } catch (UncheckedIOException e) {
                    // e.g. a quote that is never closed
                    throw new IllegalArgumentException("policy file " + file + " near line "
                            + (p.getCurrentLineNumber() + 1) + ": malformed CSV: " + e.getMessage(), e);
                }
                String where = "policy file " + file + " line " + (rec.getRecordNumber() + 1);
                if (!rec.isSet("layer") || !rec.isSet("ratio") || rec.size() > p.getHeaderNames().size()) {
                    throw new IllegalArgumentException(where + ": expected the " + p.getHeaderNames().size()
                            + " fields " + p.getHeaderNames() + ", found " + rec.size() + ": " + rec.toList());
                }
                String layer = rec.get("layer");
                double ratio;
                try {
                    ratio = Double.parseDouble(rec.get("ratio"));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + ": ratio '" + rec.get("ratio") + "' is not a number");
                }
                if (!(ratio >= 0 && ratio < 1)) {
                    throw new IllegalArgumentException(where + ": ratio " + ratio + " for '" + layer
                            + "' must be in [0, 1)");
                }
                if (ratios.put(layer, ratio) != null) {
                    throw new IllegalArgumentException(where + ": layer '" + layer + "' listed twice");
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read policy file " + file + ": " + e, e);
        } finally {
            if (p != null) {
                try {
                    p.close();
                } catch (IOException ignored) {
                    // the reader is closed by the try-with-resources
                }
            }
        }
        return named("csv:" + file.getFileName(), net -> {
            List<String> prunable = new DependencyGraph(net).prunableConvs();
            List<LayerPlan> out = new ArrayList<>();
            for (Map.Entry<String, Double> e : ratios.entrySet()) {
                if (!prunable.contains(e.getKey())) {
                    String why = net.findNode(e.getKey()).isPresent() ? "is not a prunable conv" : "is not a node";
                    throw new IllegalArgumentException("policy file " + file + ": '" + e.getKey() + "' " + why
                            + " of '" + net.name() + "'; prunable layers: " + String.join(", ", prunable));
                }
                out.add(new LayerPlan(e.getKey(), e.getValue()));
            }
            out.sort((a, b) -> Integer.compare(net.indexOf(a.layer()), net.indexOf(b.layer())));
            return out;
        });
    }

    /**
     * Parses a CLI policy name: {@code uniform}, {@code vgg}, {@code vgg-gap}, {@code resnet} or {@code csv:FILE}.
     *
     * @param spec  the name
     * @param ratio the ratio of the built-in policies (a CSV file has its own ratios)
     * @return the policy
     * @throws IllegalArgumentException for an unknown name or a bad CSV file
     */
    public static PruningPolicy parse(String spec, double ratio) {
        if (spec.startsWith("csv:")) {
            return csv(Path.of(spec.substring(4)));
        }
        switch (spec) {
            case "uniform":
                return uniform(ratio);
            case "vgg":
                return vgg(ratio);
            case "vgg-gap":
                return vggGap(ratio);
            case "resnet":
                return resnet(ratio);
            default:
                throw new IllegalArgumentException("unknown policy '" + spec + "'; expected uniform, vgg, vgg-gap, resnet or csv:FILE");
        }
    }

    /** Prunable convs, one per coupled group, in network order; optionally only uncoupled groups. */
    static List<String> distinctGroups(Network net, boolean uncoupledOnly) {
        DependencyGraph g = new DependencyGraph(net);
        Set<String> seen = new HashSet<>();
        List<String> out = new ArrayList<>();
        for (String conv : g.prunableConvs()) {
            if (seen.contains(conv)) {
                continue;
            }
            ChannelGroup group;
            try {
                group = g.groupOf(conv);
            } catch (PruningException e) {
                continue;
            }
            seen.addAll(group.producers());
            if (uncoupledOnly && group.isCoupled()) {
                continue;
            }
            out.add(group.producers().get(0));
        }
        return out;
    }

    private static PruningPolicy named(String name, java.util.function.Function<Network, List<LayerPlan>> f) {
        return named(name, f, null);
    }

    private static PruningPolicy named(String name, java.util.function.Function<Network, List<LayerPlan>> f,
                                       GapHeadOptions head) {
        return new PruningPolicy() {
            @Override
            public Optional<GapHeadOptions> gapHead() {
                return Optional.ofNullable(head);
            }

            @Override
            public List<LayerPlan> plan(Network net) {
                return f.apply(net);
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
