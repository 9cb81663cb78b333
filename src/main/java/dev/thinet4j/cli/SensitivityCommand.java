package dev.thinet4j.cli;

import dev.thinet4j.budget.Budget;
import dev.thinet4j.budget.BudgetPlan;
import dev.thinet4j.budget.BudgetTarget;
import dev.thinet4j.budget.Damage;
import dev.thinet4j.budget.DataSplit;
import dev.thinet4j.budget.SensitivityAnalysis;
import dev.thinet4j.budget.SensitivityRow;
import dev.thinet4j.budget.SensitivityTable;
import dev.thinet4j.data.DataOptions;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.Labels;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * {@code thinet4j sensitivity}: prunes each candidate layer alone at a grid of ratios, measures the damage on
 * held-out images (disjoint from the calibration images, both drawn from {@code --data}), writes the table as CSV
 * (and optionally an HTML chart), and with {@code --target-macs}/{@code --target-params} also solves the budget
 * (predicted damage: {@code --damage}, by default the squared logit error) and writes the per-layer ratios as a
 * policy file for {@code prune --policy csv:FILE}.
 */
final class SensitivityCommand implements Command {
    @Override
    public String name() {
        return "sensitivity";
    }

    @Override
    public String usage() {
        return "thinet4j sensitivity --model M.onnx --data CALIB [--labels L] --out S.csv [--html S.html]"
                + " [--policy uniform|vgg|resnet|csv:FILE] [--criterion thinet] [--reconstruct full]"
                + " [--ratios 0.1,0.2,...,0.9] [--images 100] [--eval-images 500] [--points 10] [--seed 1] [--batch 32]"
                + " [--target-macs F | --target-params F [--min-channels 1] [--channel-multiple 1]"
                + " [--damage squared-logit|metric] [--policy-out P.csv]]"
                + " [--mean … --std …]";
    }

    @Override
    public int run(List<String> argv, PrintStream out) throws Exception {
        CliArgs args = CliArgs.parse(name(), argv, Set.of());
        Path modelPath = args.existingFile("model");
        Path dataPath = args.existingFile("data");
        Path labelsPath = args.get("labels").isPresent() ? args.existingFile("labels") : null;
        Path outPath = Path.of(args.require("out"));
        Path htmlPath = args.get("html").map(Path::of).orElse(null);
        String policyName = args.get("policy").orElse("uniform");
        double[] ratios = parseRatios(args.get("ratios"));
        Criterion criterion = parse(() -> Criterion.parse(args.get("criterion").orElse("thinet")));
        Reconstruction recon = parse(() -> Reconstruction.parse(args.get("reconstruct").orElse("full")));
        int evalImages = args.getInt("eval-images", 500);
        PrunerConfig config = parse(() -> PrunerConfig.builder()
                .criterion(criterion)
                .reconstruction(recon)
                .images(args.getInt("images", 100))
                .pointsPerImage(args.getInt("points", 10))
                .seed(args.getInt("seed", 1))
                .batchSize(args.getInt("batch", 32))
                .build());
        BudgetTarget target = target(args);
        Path policyOut = args.get("policy-out").map(Path::of).orElse(null);
        Damage damage = parse(() -> Damage.parse(args.get("damage").orElse(Damage.SQUARED_LOGIT_ERROR.cliName())));
        DataOptions options = DataArgs.options(args, name());
        args.finish();
        if (policyOut != null && target == null) {
            throw new UsageException(name() + ": --policy-out needs --target-macs or --target-params");
        }
        if (evalImages < 1) {
            throw new UsageException(name() + ": --eval-images must be positive, got " + evalImages);
        }
        PruningPolicy candidates = parse(() -> Policies.parse(policyName, 0.5));
        if (candidates.gapHead().isPresent()) {
            throw new UsageException(name() + ": the analysis keeps the model's head, so '" + policyName + "' would only"
                    + " choose the layers of 'vgg'; give --policy vgg");
        }

        Network net = OnnxImporter.load(modelPath);
        int[] labels = labelsPath == null ? null : Labels.read(labelsPath);
        SensitivityTable table;
        try (ImageSource data = ImageSources.open(dataPath, options)) {
            DataArgs.checkMatches(data, net, dataPath);
            DataSplit split = DataSplit.of(data, labels, config.images(), evalImages, config.seed());
            SensitivityAnalysis.Listener progress = new SensitivityAnalysis.Listener() {
                @Override
                public void layerStarted(int index, int total, String layer) {
                    out.printf(Locale.ROOT, "[%d/%d] %s%n", index, total, layer);
                }
            };
            table = new SensitivityAnalysis(config, ratios, progress)
                    .run(net, candidates, split.calibration(), split.evaluation(), split.evaluationLabels());
        }
        printTable(table, out);
        table.writeCsv(outPath);
        out.println("wrote " + outPath);
        if (htmlPath != null) {
            table.writeHtml(htmlPath);
            out.println("wrote " + htmlPath);
        }
        if (target != null) {
            BudgetPlan plan = Budget.solve(net, table, target, damage);
            out.print(plan.summary());
            if (policyOut != null) {
                plan.writeCsv(policyOut);
                out.println("wrote " + policyOut);
            }
        }
        return 0;
    }

    private static void printTable(SensitivityTable t, PrintStream out) {
        out.printf(Locale.ROOT, "%s on %d held-out images, unpruned %.4f%n", t.metric().id(), t.images(), t.baseline());
        List<String> layers = t.layers();
        double[] grid = t.rows().stream().mapToDouble(SensitivityRow::ratio).distinct().sorted().toArray();
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-40s %5s", "layer", "C"));
        for (double r : grid) {
            head.append(String.format(Locale.ROOT, " %7.2f", r));
        }
        out.println(head);
        for (String layer : layers) {
            List<SensitivityRow> rows = t.rows(layer);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s %5d", layer,
                    rows.get(0).channels()));
            for (double r : grid) {
                Optional<SensitivityRow> row = rows.stream().filter(x -> x.ratio() == r).findFirst();
                line.append(row.map(x -> String.format(Locale.ROOT, " %7.4f", x.metric())).orElse("        "));
            }
            out.println(line);
        }
        if (t.cost() != null) {
            out.println("cost: " + t.cost().summary());
        }
    }

    private BudgetTarget target(CliArgs args) {
        Optional<String> macs = args.get("target-macs");
        Optional<String> params = args.get("target-params");
        int min = args.getInt("min-channels", 1);
        // --channel-multiple as in prune; --multiple-of is the older spelling
        if (args.get("channel-multiple").isPresent() && args.get("multiple-of").isPresent()) {
            throw new UsageException(name() + ": give --channel-multiple or --multiple-of (the same option), not both");
        }
        int multiple = args.get("channel-multiple").isPresent() ? args.getInt("channel-multiple", 1)
                : args.getInt("multiple-of", 1);
        if (macs.isPresent() && params.isPresent()) {
            throw new UsageException(name() + ": give --target-macs or --target-params, not both");
        }
        if (macs.isEmpty() && params.isEmpty()) {
            return null;
        }
        double keep = parseFraction(macs.orElseGet(params::get), macs.isPresent() ? "target-macs" : "target-params");
        BudgetTarget t = parse(() -> macs.isPresent() ? BudgetTarget.macs(keep) : BudgetTarget.params(keep));
        return parse(() -> t.withMinChannels(min).withChannelMultiple(multiple));
    }

    private double parseFraction(String v, String key) {
        try {
            double f = Double.parseDouble(v.trim());
            if (f > 0 && f <= 1) {
                return f;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new UsageException(name() + ": --" + key + " must be a fraction in (0, 1], got '" + v + "'");
    }

    private double[] parseRatios(Optional<String> v) {
        if (v.isEmpty()) {
            return SensitivityAnalysis.DEFAULT_RATIOS;
        }
        try {
            double[] r = Arrays.stream(v.get().split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .mapToDouble(Double::parseDouble).toArray();
            if (r.length > 0 && Arrays.stream(r).allMatch(x -> x > 0 && x < 1)) {
                return r;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new UsageException(name() + ": --ratios must be a comma-separated list of numbers in (0, 1), got '"
                + v.get() + "'");
    }

    private <T> T parse(java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(name() + ": " + e.getMessage());
        }
    }
}
