package dev.thinet4j.cli;

import dev.thinet4j.budget.Budget;
import dev.thinet4j.budget.BudgetPlan;
import dev.thinet4j.budget.BudgetTarget;
import dev.thinet4j.budget.Damage;
import dev.thinet4j.budget.DataSplit;
import dev.thinet4j.budget.LatencySearch;
import dev.thinet4j.budget.SensitivityAnalysis;
import dev.thinet4j.budget.UniformCheck;
import dev.thinet4j.budget.SensitivityTable;
import dev.thinet4j.calibration.BnRecalibration;
import dev.thinet4j.data.DataOptions;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.Labels;
import dev.thinet4j.eval.Accuracy;
import dev.thinet4j.eval.Evaluation;
import dev.thinet4j.eval.ModelSnapshot;
import dev.thinet4j.head.GapHeadOptions;
import dev.thinet4j.head.HeadInit;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.FineTuner;
import dev.thinet4j.pruner.ProgressListener;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.report.HtmlReport;
import dev.thinet4j.report.LayerReport;
import dev.thinet4j.selection.Criterion;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import dev.thinet4j.training.FineTuningHook;
import dev.thinet4j.training.OptimizerType;
import dev.thinet4j.training.TrainingConfig;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code thinet4j prune}: layer-by-layer ThiNet pruning of an ONNX model. Optionally measures top-1
 * accuracy before and after ({@code --labels}, on {@code --eval-data} or else on {@code --data}) and
 * writes an HTML report ({@code --html}). With {@code --target-macs}, {@code --target-params} or
 * {@code --target-latency} instead of {@code --ratio}, the per-layer ratios come from a sensitivity analysis of
 * the policy's layers on a held-out part of {@code --data} and the budget solver ({@link Budget},
 * {@link LatencySearch}); {@code --bn-recalibrate} re-estimates the pruned model's BN statistics
 * ({@link BnRecalibration}).
 */
final class PruneCommand implements Command {
    @Override
    public String name() {
        return "prune";
    }

    @Override
    public String usage() {
        return "thinet4j prune --model IN.onnx --data CALIB --out OUT.onnx [--policy uniform|vgg|vgg-gap|resnet|csv:FILE]"
                + " [--ratio 0.5] [--criterion thinet|thinet-tpami|l1|l2|fpgm|apoz|bn-gamma|random]"
                + " [--reconstruct none|scale|full] [--images 100] [--points 10] [--seed 1] [--batch 32]"
                + " [--head-init least-squares|zero|random] [--head-images 1000]"
                + " [--targets original|current] [--train-labels L --finetune-epochs N --finetune-layer-iterations K] [--report R.csv] [--html R.html]"
                + " [--eval-data IMAGES] [--labels LABELS] [--eval-limit N] [--mean … --std …]"
                + " [--target-macs F | --target-params F | --target-latency F (instead of --ratio)"
                + " [--channel-multiple 1] [--min-channels 1] [--eval-images 500] [--data-labels L]"
                + " [--damage squared-logit|metric]"
                + " [--latency-batch 8] [--latency-repeats 20] [--policy-out P.csv]] [--bn-recalibrate]";
    }

    @Override
    public int run(List<String> argv, PrintStream out) throws Exception {
        CliArgs args = CliArgs.parse(name(), argv, Set.of("bn-recalibrate"));
        Path modelPath = args.existingFile("model");
        Path dataPath = args.existingFile("data");
        Path outPath = Path.of(args.require("out"));
        String policyName = args.get("policy").orElse("uniform");
        BudgetArgs budget = budgetArgs(args);
        double ratio = parseRatio(args.get("ratio").orElse("0.5"));
        boolean bnRecalibrate = args.flag("bn-recalibrate");
        Criterion criterion = parse(() -> Criterion.parse(args.get("criterion").orElse("thinet")));
        Reconstruction recon = parse(() -> Reconstruction.parse(args.get("reconstruct").orElse("full")));
        PrunerConfig config = parse(() -> PrunerConfig.builder()
                .criterion(criterion)
                .reconstruction(recon)
                .images(args.getInt("images", 100))
                .pointsPerImage(args.getInt("points", 10))
                .seed(args.getInt("seed", 1))
                .batchSize(args.getInt("batch", 32))
                .targetsFromOriginal(targets(args.get("targets").orElse("original")))
                .build());
        Path reportPath = args.get("report").map(Path::of).orElse(null);
        Path htmlPath = args.get("html").map(Path::of).orElse(null);
        Path labelsPath = args.get("labels").isPresent() ? args.existingFile("labels") : null;
        Path evalDataPath = args.get("eval-data").isPresent() ? args.existingFile("eval-data") : null;
        int evalLimit = args.getInt("eval-limit", 0);
        int finetuneEpochs = args.getInt("finetune-epochs", 0);
        int layerIterations = args.getInt("finetune-layer-iterations", 100);
        Path trainLabelsPath = args.get("train-labels").isPresent() ? args.existingFile("train-labels") : null;
        // labels of --data for a budget's sensitivity analysis and check (top-1 instead of the logit error),
        // without turning on fine-tuning as --train-labels does
        Path dataLabelsPath = args.get("data-labels").isPresent() ? args.existingFile("data-labels") : null;
        if (finetuneEpochs < 0 || layerIterations < 0) {
            throw new UsageException(name() + ": --finetune-epochs and --finetune-layer-iterations must be >= 0");
        }
        if ((finetuneEpochs > 0 || args.get("finetune-layer-iterations").isPresent()) && trainLabelsPath == null) {
            throw new UsageException(name() + ": fine-tuning trains on --data and needs its labels: give --train-labels");
        }
        String headInit = args.get("head-init").orElse(null);
        boolean headImagesGiven = args.get("head-images").isPresent();
        int headImages = args.getInt("head-images", GapHeadOptions.DEFAULTS.images());
        if ((headInit != null || headImagesGiven) && !policyName.equals("vgg-gap")) {
            throw new UsageException(name() + ": --head-init and --head-images set the new head of --policy vgg-gap,"
                    + " not of '" + policyName + "'");
        }
        if (policyName.equals("vgg-gap") && TARGETS.stream().anyMatch(k -> args.get(k).isPresent())) {
            throw new UsageException(name() + ": --policy vgg-gap takes --ratio; a budget (--target-macs, --target-params,"
                    + " --target-latency) needs a policy whose layers keep the network's head (vgg, uniform, resnet, csv)");
        }
        DataOptions options = DataArgs.options(args, name());
        args.finish();

        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put("model", modelPath);
        inputs.put("data", dataPath);
        inputs.put("labels", labelsPath);
        inputs.put("eval-data", evalDataPath);
        inputs.put("data-labels", dataLabelsPath);
        inputs.put("policy", policyName.startsWith("csv:") ? Path.of(policyName.substring(4)) : null);
        Map<String, Path> outputs = new LinkedHashMap<>();
        outputs.put("out", outPath);
        outputs.put("report", reportPath);
        outputs.put("html", htmlPath);
        outputs.put("policy-out", budget == null ? null : budget.policyOut());
        OutputPaths.check(name(), outputs, inputs);
        if (args.get("eval-limit").isPresent() && evalLimit < 1) {
            throw new UsageException(name() + ": --eval-limit must be positive, got " + evalLimit);
        }
        if (evalLimit > 0 && labelsPath == null && evalDataPath == null) {
            throw new UsageException(name() + ": --eval-limit needs --labels (and usually --eval-data)");
        }
        PruningPolicy policy = parse(() -> policy(policyName, ratio, headInit, headImages));
        // accuracy is measured on --eval-data; with only --labels, on the calibration data itself
        Path evalPath = evalDataPath != null ? evalDataPath : labelsPath != null ? dataPath : null;
        int[] labels = labelsPath == null ? null : Labels.read(labelsPath);

        Network net = OnnxImporter.load(modelPath);
        ModelSize before = ModelSize.of(net);
        out.println("before: " + before.totalLine());
        List<String> notes = new ArrayList<>();
        List<ModelSnapshot> snapshots = new ArrayList<>();
        PruningResult result;
        try (ImageSource data = ImageSources.open(dataPath, options);
             ImageSource evalImages = evalPath == null ? null : openEval(evalPath, options, evalLimit)) {
            DataArgs.checkMatches(data, net, dataPath);
            if (evalImages != null) {
                DataArgs.checkMatches(evalImages, net, evalPath);
                if (labels == null && !evalImages.hasLabels()) {
                    throw new UsageException(name() + ": --eval-data " + evalPath + " has no labels; give --labels");
                }
                if (labels != null && evalImages.size() > labels.length) {
                    throw new IllegalArgumentException("labels file " + labelsPath + " has " + labels.length
                            + " labels but the evaluation data has " + evalImages.size() + " images");
                }
                if (evalDataPath == null) {
                    String note = "no --eval-data given: accuracy is measured on the calibration data --data "
                            + dataPath + ", not on held-out images";
                    out.println("note: " + note);
                    notes.add(note);
                }
            }
            ImageSource timingImages = evalImages != null ? evalImages : data;
            double accBefore = evalImages == null ? Double.NaN
                    : accuracyLine("before", net, evalImages, labels, config.batchSize(), out);
            if (htmlPath != null) {
                snapshots.add(new ModelSnapshot("original", accBefore, before.totalParams(), before.totalMacs(),
                        Evaluation.latencyMillisPerImage(net, timingImages)));
            }

            // the images the pruner samples from, and re-calibrates BN on: with a budget, the calibration part of
            // a split of --data whose other part measures the sensitivity; otherwise --data, sampled by the pruner
            ImageSource calibration = data;
            ImageSource timing = null;
            LatencySearch.Result latency = null;
            if (budget != null) {
                int[] dataLabels = dataLabelsPath != null ? Labels.read(dataLabelsPath)
                        : trainLabelsPath != null ? Labels.read(trainLabelsPath)
                        : evalDataPath == null ? labels : null;
                DataSplit split = DataSplit.of(data, dataLabels, config.images(), budget.evalImages(), config.seed());
                calibration = split.calibration();
                PruningPolicy candidates = policy;
                out.printf(Locale.ROOT, "budget %s: sensitivity of the %s policy's layers on %d held-out images of"
                        + " --data (%s)%n", budget.describe(), candidates.name(), budget.evalImages(),
                        split.evaluationLabels() == null ? "logit error" : "top-1 accuracy");
                SensitivityTable table = new SensitivityAnalysis(config, SensitivityAnalysis.DEFAULT_RATIOS,
                        new SensitivityAnalysis.Listener() {
                            @Override
                            public void layerStarted(int index, int total, String layer) {
                                out.printf(Locale.ROOT, "[sensitivity %d/%d] %s%n", index, total, layer);
                            }
                        }).run(net, candidates, split.calibration(), split.evaluation(), split.evaluationLabels());
                BudgetPlan plan;
                if (budget.latency()) {
                    timing = split.evaluation();
                    latency = new LatencySearch().search(net, table, budget.target().keep(), budget.target(),
                            budget.damage(), LatencySearch.engine(timing, budget.latencyBatch(),
                                    LATENCY_WARMUP, budget.latencyRepeats()));
                    for (LatencySearch.Step st : latency.steps()) {
                        out.printf(Locale.ROOT, "latency search: macs<=%.4f -> %s%n", st.macsTarget(),
                                st.feasible() ? String.format(Locale.ROOT, "kept macs %.4f, %.4f ms/image against"
                                        + " %.4f unpruned: latency %.4f of the original%s", st.macsKept(), st.time(),
                                        st.baselineTime(), st.latencyFraction(), st.meets() ? "" : " (too slow)")
                                        : "no plan");
                    }
                    plan = latency.plan();
                    out.print(plan.summary());
                } else {
                    plan = Budget.solve(net, table, budget.target(), budget.damage());
                    out.print(plan.summary());
                    // the solver assumes the layers' damages add up; check it against one ratio for all layers
                    UniformCheck.Result check = UniformCheck.check(net, plan, split.calibration(), split.evaluation(),
                            split.evaluationLabels(), config);
                    out.println(check.describe());
                    if (check.uniformChosen()) {
                        plan = check.chosen();
                        out.print(plan.summary());
                    }
                }
                if (budget.policyOut() != null) {
                    plan.writeCsv(budget.policyOut());
                    out.println("policy " + budget.policyOut());
                }
                policy = plan;
            }

            ProgressBar progress = new ProgressBar(out, ProgressBar.isTerminal(out));
            try {
                if (trainLabelsPath != null) {
                    try (ImageSource train = ImageSources.withLabels(ImageSources.open(dataPath, options),
                            Labels.read(trainLabelsPath))) {
                        result = new ThiNetPruner(config, fineTuner(finetuneEpochs, layerIterations, train), progress)
                                .prune(net, policy, calibration);
                    }
                } else {
                    result = new ThiNetPruner(config, FineTuner.NONE, progress).prune(net, policy, calibration);
                }
            } finally {
                progress.end();
            }
            Network pruned = result.network();
            if (bnRecalibrate) {
                // the images the pruner sampled (the same seeded draw), or all of --data when its size is unknown
                ImageSource bnImages = budget != null || data.size() < 0 ? calibration
                        : ImageSources.sample(data, Math.min(config.images(), data.size()), config.seed());
                BnRecalibration.Result bn = BnRecalibration.recalibrate(pruned, bnImages, config.batchSize());
                if (bn.recalibrated()) {
                    if (evalImages != null) {
                        Accuracy a = Evaluation.top1(pruned, evalImages, labels, config.batchSize());
                        out.printf(Locale.ROOT, "pruned, before BN re-calibration: accuracy=%.6f images=%d%n",
                                a.fraction(), a.images());
                    }
                    out.printf(Locale.ROOT, "bn-recalibrate: re-estimated the running mean and variance of %d"
                            + " BatchNormalization nodes on %d calibration images (%d passes); no weight changed%n",
                            bn.batchNorms().size(), bn.images(), bn.passes());
                    notes.add("BN re-calibration: running statistics of " + bn.batchNorms().size()
                            + " BatchNormalization nodes re-estimated on " + bn.images() + " calibration images.");
                    pruned = bn.network();
                } else {
                    String skip = "bn-recalibrate: skipped, the model has no BatchNormalization node (BN was folded"
                            + " into the convolutions at export)";
                    out.println(skip);
                    notes.add(skip);
                }
            }

            // printed after the size line below, so the before/after lines read in order
            Accuracy accAfter = evalImages == null ? null
                    : Evaluation.top1(pruned, evalImages, labels, config.batchSize());
            double latencyAfter = Double.NaN;
            if (latency != null) {
                // timed again, alternating with the unpruned network
                LatencySearch.LatencyMeter meter = LatencySearch.engine(timing, budget.latencyBatch(), LATENCY_WARMUP,
                        budget.latencyRepeats());
                double[] t = meter.timePair(net, pruned);
                latencyAfter = t[1] / t[0];
            }
            if (htmlPath != null) {
                snapshots.add(ModelSnapshot.of("pruned", pruned,
                        accAfter == null ? Double.NaN : accAfter.fraction(),
                        Evaluation.latencyMillisPerImage(pruned, timingImages)));
                if (accAfter != null) {
                    notes.add("Accuracy: top-1 on " + evalPath + " (" + accAfter.images() + " images). Latency: "
                            + Evaluation.latencySetup() + ".");
                } else {
                    notes.add("No accuracy measured: give --labels (with --eval-data) to measure it. Latency: "
                            + Evaluation.latencySetup() + ".");
                }
            }
            OnnxExporter.save(pruned, outPath);
            out.print(result.report().summary());
            ModelSize after = ModelSize.of(pruned);
            out.println("after: " + after.totalLine());
            out.printf(Locale.ROOT, "kept: macs=%.4f params=%.4f%s%n",
                    (double) after.totalMacs() / before.totalMacs(),
                    (double) after.totalParams() / before.totalParams(),
                    Double.isNaN(latencyAfter) ? "" : String.format(Locale.ROOT,
                            " latency=%.4f (pruned model timed again)", latencyAfter));
            if (latency != null && latencyAfter > latency.target()) {
                out.printf(Locale.ROOT, "note: timed again, the pruned model's latency %.4f is over the target %.4f"
                        + " that the search measured %.4f for: timing noise; time both with 'bench'%n", latencyAfter,
                        latency.target(), latency.latencyFraction());
            }
            if (accAfter != null) {
                out.printf(Locale.ROOT, "after: accuracy=%.6f images=%d%n", accAfter.fraction(), accAfter.images());
            }
            if (reportPath != null) {
                result.report().writeCsv(reportPath);
                out.println("report " + reportPath);
            }
            if (htmlPath != null) {
                HtmlReport.Builder html = HtmlReport.builder(result.report()).snapshots(snapshots)
                        .layerSizes(before, after);
                notes.forEach(html::note);
                html.build().writeHtml(htmlPath);
                out.println("html " + htmlPath);
            }
        }
        out.println("wrote " + outPath);
        return 0;
    }

    /** Warm-up passes before each latency measurement of {@code --target-latency}. */
    private static final int LATENCY_WARMUP = 5;

    /**
     * The budget options: exactly one target, and what the search for it may do.
     *
     * @param target         the MACs or params budget; for a latency budget the minimum channels, channel multiple and
     *                       tolerance of each MACs budget tried, with {@code keep} the latency fraction
     * @param latency        whether {@code target.keep()} is a fraction of the measured latency
     * @param evalImages     held-out images of {@code --data} for the sensitivity analysis
     * @param damage         the solver's predicted damage
     * @param latencyBatch   images per timed forward pass
     * @param latencyRepeats timed passes per measurement
     * @param policyOut      where to write the chosen ratios as a policy CSV, or null
     */
    record BudgetArgs(BudgetTarget target, boolean latency, int evalImages, Damage damage, int latencyBatch,
                      int latencyRepeats, Path policyOut) {
        String describe() {
            return latency ? "latency<=" + target.keep() : target.describe();
        }
    }

    private static final List<String> TARGETS = List.of("target-macs", "target-params", "target-latency");
    private static final List<String> BUDGET_OPTIONS = List.of("channel-multiple", "min-channels", "eval-images", "data-labels",
            "damage", "policy-out");
    private static final List<String> LATENCY_OPTIONS = List.of("latency-batch", "latency-repeats");

    /** The budget options, or null when no target is given (then none of them may be). */
    private BudgetArgs budgetArgs(CliArgs args) {
        List<String> given = TARGETS.stream().filter(k -> args.get(k).isPresent()).toList();
        if (given.isEmpty()) {
            for (String k : BUDGET_OPTIONS) {
                if (args.get(k).isPresent()) {
                    throw new UsageException(name() + ": --" + k + " only applies to a budget: give --target-macs,"
                            + " --target-params or --target-latency");
                }
            }
            for (String k : LATENCY_OPTIONS) {
                if (args.get(k).isPresent()) {
                    throw new UsageException(name() + ": --" + k + " only applies to --target-latency");
                }
            }
            return null;
        }
        if (given.size() > 1) {
            throw new UsageException(name() + ": --" + given.get(0) + " and --" + given.get(1)
                    + " are mutually exclusive; give one budget");
        }
        String key = given.get(0);
        if (args.get("ratio").isPresent()) {
            throw new UsageException(name() + ": --ratio and --" + key + " are mutually exclusive: with a budget the"
                    + " per-layer ratios are chosen from a sensitivity analysis");
        }
        boolean latency = key.equals("target-latency");
        if (!latency) {
            for (String k : LATENCY_OPTIONS) {
                if (args.get(k).isPresent()) {
                    throw new UsageException(name() + ": --" + k + " only applies to --target-latency");
                }
            }
        }
        double keep = parseFraction(args.get(key).orElseThrow(), key);
        int multiple = args.getInt("channel-multiple", 1);
        int min = args.getInt("min-channels", 1);
        int evalImages = args.getInt("eval-images", 500);
        int latencyBatch = args.getInt("latency-batch", 8);
        int latencyRepeats = args.getInt("latency-repeats", 20);
        if (multiple < 1) {
            throw new UsageException(name() + ": --channel-multiple must be a positive integer (1: any count), got "
                    + multiple);
        }
        if (min < 1) {
            throw new UsageException(name() + ": --min-channels must be a positive integer, got " + min);
        }
        if (evalImages < 1) {
            throw new UsageException(name() + ": --eval-images must be positive, got " + evalImages);
        }
        if (latencyBatch < 1 || latencyRepeats < 1) {
            throw new UsageException(name() + ": --latency-batch and --latency-repeats must be positive, got "
                    + latencyBatch + " and " + latencyRepeats);
        }
        Damage damage = parse(() -> Damage.parse(args.get("damage").orElse(Damage.SQUARED_LOGIT_ERROR.cliName())));
        BudgetTarget target = key.equals("target-params") ? BudgetTarget.params(keep) : BudgetTarget.macs(keep);
        target = target.withChannelMultiple(multiple).withMinChannels(min);
        return new BudgetArgs(target, latency, evalImages, damage, latencyBatch, latencyRepeats,
                args.get("policy-out").map(Path::of).orElse(null));
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
        throw new UsageException(name() + ": --" + key + " must be the fraction of the original to keep, a number in"
                + " (0, 1], got '" + v + "'");
    }

    private static ImageSource openEval(Path path, DataOptions options, int limit) throws java.io.IOException {
        ImageSource s = ImageSources.open(path, options);
        return limit > 0 ? ImageSources.limit(s, limit) : s;
    }

    private static double accuracyLine(String stage, Network net, ImageSource images, int[] labels, int batch,
                                       PrintStream out) {
        Accuracy a = Evaluation.top1(net, images, labels, batch);
        out.printf(Locale.ROOT, "%s: accuracy=%.6f images=%d%n", stage, a.fraction(), a.images());
        return a.fraction();
    }

    /**
     * ThiNet's schedule: SGD (momentum 0.9, weight decay 5e-4, batch 64) for {@code layerIterations} after each
     * pruned layer at lr 1e-3 (at most one epoch), then {@code epochs} epochs at lr 1e-4.
     */
    private static FineTuner fineTuner(int epochs, int layerIterations, ImageSource train) {
        TrainingConfig perLayer = TrainingConfig.builder().epochs(1).batchSize(64).optimizer(OptimizerType.SGD)
                .learningRate(1e-3).momentum(0.9).weightDecay(5e-4).seed(1).maxIterations(Math.max(1, layerIterations))
                .build();
        TrainingConfig atEnd = perLayer.toBuilder().epochs(Math.max(1, epochs)).learningRate(1e-4)
                .maxIterations(0).build();
        return new FineTuningHook(train, layerIterations > 0 ? perLayer : null, epochs > 0 ? atEnd : null);
    }

    private boolean targets(String v) {
        switch (v) {
            case "original":
                return true;
            case "current":
                return false;
            default:
                throw new UsageException(name() + ": --targets must be 'original' (fit each layer to the unpruned"
                        + " network's outputs) or 'current' (to the network pruned so far), got '" + v + "'");
        }
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

    /** The policy; for {@code vgg-gap} with the head options given (defaults otherwise). */
    private static PruningPolicy policy(String spec, double ratio, String headInit, int headImages) {
        if (!spec.equals("vgg-gap")) {
            return Policies.parse(spec, ratio);
        }
        GapHeadOptions head = GapHeadOptions.DEFAULTS.withImages(headImages);
        if (headInit != null) {
            head = head.withInit(HeadInit.parse(headInit));
        }
        return Policies.vggGap(ratio, head);
    }

    private <T> T parse(java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(name() + ": " + e.getMessage());
        }
    }

    /**
     * Progress on standard output: on a terminal one line redrawn in place,
     * {@code [#####...............] 3/12 conv3_1}; otherwise (a pipe, a file, a test) plain lines,
     * {@code [3/12] pruning conv3_1} before and {@code [3/12] conv3_1: 256 -> 128 channels in 1.4 s} after
     * each layer.
     */
    static final class ProgressBar implements ProgressListener {
        static final int WIDTH = 20;
        private static final int MAX_NAME = 48;

        private final PrintStream out;
        private final boolean terminal;
        private int lastLength;
        private boolean open;

        ProgressBar(PrintStream out, boolean terminal) {
            this.out = out;
            this.terminal = terminal;
        }

        /** Whether {@code out} is standard output and that is a terminal. */
        static boolean isTerminal(PrintStream out) {
            return out == System.out && System.console() != null;
        }

        @Override
        public void layerStarted(int index, int total, String layer) {
            if (terminal) {
                draw(index - 1, total, index + "/" + total + " " + shorten(layer));
            } else {
                out.printf(Locale.ROOT, "[%d/%d] pruning %s%n", index, total, layer);
            }
        }

        @Override
        public void layerFinished(int index, int total, LayerReport r) {
            if (terminal) {
                draw(index, total, index + "/" + total + " " + shorten(r.layer()) + " " + r.channelsBefore() + " -> "
                        + r.channelsAfter());
                if (index == total) {
                    end();
                }
            } else {
                out.printf(Locale.ROOT, "[%d/%d] %s: %d -> %d channels in %.1f s%n", index, total, r.layer(),
                        r.channelsBefore(), r.channelsAfter(), r.seconds());
            }
        }

        /** Ends the redrawn line, if one is open, so the next output starts on a fresh line. */
        void end() {
            if (open) {
                out.println();
                out.flush();
                open = false;
                lastLength = 0;
            }
        }

        private void draw(int done, int total, String text) {
            int filled = total <= 0 ? WIDTH : (int) ((long) done * WIDTH / total);
            String line = "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + text;
            out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
            out.flush();
            lastLength = line.length();
            open = true;
        }

        private static String shorten(String name) {
            return name.length() <= MAX_NAME ? name : "..." + name.substring(name.length() - (MAX_NAME - 3));
        }
    }
}
