package dev.thinet4j.training;

import dev.thinet4j.model.InputSpec;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A trainable copy of a {@link Network}: its parameters as ND4J arrays ({@link #parameters()}), the
 * BatchNorm running statistics, and forward/backward passes on ND4J's native kernels, node by node, the
 * backward in reverse topological order. {@link #toNetwork()} writes the current values back into a new
 * immutable network with the same node names and shapes.
 *
 * <p>Loss: softmax cross-entropy ({@link SoftmaxCrossEntropy}) on the logits, which are the loss output
 * (the network's <b>first output</b> unless {@link #of(Network, Precision, String)} names another), or, when
 * that output is written by a Softmax node, that node's input (the Softmax itself is then not run while
 * training; the probabilities and the logits give the same argmax). Logits of rank above 2 (e.g.
 * [N, K, 1, 1]) are viewed as [N, K·…].
 *
 * <p>Networks with several outputs (a classifier next to a detection head, auxiliary outputs): only the
 * nodes the loss output depends on run in {@link #lossAndGradients} and {@link #logits}; the other outputs
 * are neither computed nor trained — their own parameters get zero gradients and are not among
 * {@link #lossParameters()}, which is what the {@link Trainer} optimises (so weight decay leaves them alone
 * too) — and {@link #toNetwork()} keeps every output with its values. Training a loss on
 * a detector output is not supported.
 *
 * <p>Activations may have any rank ≥ 2 between the NCHW image input and the logits (channels-last blocks,
 * [N, T, C] sequences). Constants of {@link Op.ConstArith} (e.g. a layer scale exported as a constant)
 * are frozen: they are not parameters and training does not change them.
 *
 * <p>Not thread-safe: one pass at a time (each op keeps what its backward needs from the last forward).
 * Every array a method returns is new and owned by the caller; the caller's inputs are never modified or
 * closed. Arrays are allocated outside any active ND4J workspace. {@link #close()} frees the parameters.
 */
public final class TrainableNetwork implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrainableNetwork.class);

    private final Network net;
    private final Precision precision;
    private final Map<String, TrainOp> ops;
    private final List<Parameter> params;
    private final Map<String, Parameter> byName;
    private final String logits;
    private final String lossOutput;
    private final List<Parameter> lossParams;
    private final boolean softmaxHead;
    private boolean closed;

    private TrainableNetwork(Network net, Precision precision, String requestedOutput) {
        this.net = net;
        this.precision = precision;
        Map<String, TrainOp> m = new LinkedHashMap<>();
        List<Parameter> ps = new ArrayList<>();
        Map<String, Parameter> names = new LinkedHashMap<>();
        for (Node n : net.nodes()) {
            TrainOp op = TrainOps.create(n, precision.dataType());
            m.put(n.name(), op);
            for (Parameter p : op.parameters()) {
                ps.add(p);
                names.put(p.name(), p);
            }
        }
        this.ops = Collections.unmodifiableMap(m);
        this.params = List.copyOf(ps);
        this.byName = Collections.unmodifiableMap(names);
        String out = requestedOutput == null ? net.outputs().get(0) : requestedOutput;
        if (!net.outputs().contains(out)) {
            throw new IllegalArgumentException("loss output '" + out + "' is not an output of network '" + net.name()
                    + "'; outputs are " + net.outputs());
        }
        Node producer = net.findNode(out).orElse(null);
        this.lossOutput = out;
        this.softmaxHead = producer != null && producer.op() instanceof Op.Softmax;
        this.logits = softmaxHead ? producer.input() : out;
        Set<String> reached = new HashSet<>();
        for (Node n : plan(logits)) {
            reached.add(n.name());
        }
        List<Parameter> lp = new ArrayList<>();
        for (Parameter p : ps) {
            if (reached.contains(p.node())) {
                lp.add(p);
            }
        }
        this.lossParams = List.copyOf(lp);
        if (lp.size() < ps.size()) {
            LOG.info("network {} has {} outputs; the loss is on '{}', which does not depend on {} of {} parameter"
                    + " tensors (left untrained)", net.name(), net.outputs().size(), out, ps.size() - lp.size(),
                    ps.size());
        }
        LOG.debug("trainable {} ({}): {} parameter tensors, loss on '{}'{}", net.name(), precision, ps.size(), logits,
                softmaxHead ? " (the input of the final Softmax)" : "");
    }

    /** A float32 trainable copy of {@code net} (not modified). */
    public static TrainableNetwork of(Network net) {
        return of(net, Precision.FLOAT32);
    }

    /**
     * A trainable copy of {@code net} in the given precision.
     *
     * @param net the network; not modified
     * @throws UnsupportedOperationException naming a node whose op cannot be trained
     */
    public static TrainableNetwork of(Network net, Precision precision) {
        return of(net, precision, null);
    }

    /**
     * A trainable copy of {@code net} whose loss is computed on the given output (see the class comment).
     *
     * @param net        the network; not modified
     * @param precision  the precision
     * @param lossOutput one of {@code net.outputs()} holding the classification logits (or their Softmax);
     *                   null for the first output
     * @throws IllegalArgumentException when {@code lossOutput} is not an output of the network
     * @throws UnsupportedOperationException naming a node whose op cannot be trained
     */
    public static TrainableNetwork of(Network net, Precision precision, String lossOutput) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return new TrainableNetwork(net, precision, lossOutput);
        }
    }

    /** The network this copy was made from (its original weights). */
    public Network network() {
        return net;
    }

    public Precision precision() {
        return precision;
    }

    /** Every parameter, in node order (weight before bias, BN scale before shift). */
    public List<Parameter> parameters() {
        return params;
    }

    /**
     * The parameters the loss depends on: those of the nodes the loss output is computed from, in node
     * order. Equal to {@link #parameters()} for a single-output network; without the parameters of the
     * nodes that only feed other outputs.
     */
    public List<Parameter> lossParameters() {
        return lossParams;
    }

    /** The output the loss is computed on (or on whose Softmax input; see the class comment). */
    public String lossOutput() {
        return lossOutput;
    }

    /**
     * The parameter {@code <node>.<suffix>}.
     *
     * @throws IllegalArgumentException listing the known names when there is none of that name
     */
    public Parameter parameter(String name) {
        Parameter p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter '" + name + "' in network '" + net.name()
                    + "'; parameters are " + byName.keySet());
        }
        return p;
    }

    /** Total number of parameter values. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : params) {
            n += p.size();
        }
        return n;
    }

    /** The live running mean [C] of a BatchNorm node (modified by TRAIN passes). */
    public INDArray runningMean(String bnNode) {
        return bn(bnNode).runningMean();
    }

    /** The live running variance [C] of a BatchNorm node (modified by TRAIN passes). */
    public INDArray runningVar(String bnNode) {
        return bn(bnNode).runningVar();
    }

    private BatchNormOp bn(String node) {
        TrainOp op = ops.get(node);
        if (!(op instanceof BatchNormOp b)) {
            throw new IllegalArgumentException("'" + node + "' is not a BatchNorm node of network '" + net.name() + "'");
        }
        return b;
    }

    /** Name of the tensor the loss is computed on. */
    public String logitsTensor() {
        return logits;
    }

    /** Whether the network's output is a Softmax node whose input serves as the logits. */
    public boolean endsWithSoftmax() {
        return softmaxHead;
    }

    /**
     * The loss output (the first output unless chosen otherwise; after a final Softmax, if any) for a batch.
     *
     * @param x    [N, C, H, W] images; converted to the network's precision if needed; not modified
     * @param pass mode (TRAIN updates BatchNorm running statistics) and dropout settings
     * @return a new array owned by the caller
     */
    public INDArray forward(INDArray x, PassOptions pass) {
        return evaluate(x, pass, lossOutput);
    }

    /**
     * The logits for a batch (see the class comment), [N, K].
     *
     * @param x    [N, C, H, W] images; not modified
     * @param pass mode and dropout settings
     * @return a new [N, K] array owned by the caller
     */
    public INDArray logits(INDArray x, PassOptions pass) {
        INDArray z = evaluate(x, pass, logits);
        if (z.rank() == 2) {
            return z;
        }
        INDArray flat = z.reshape('c', z.size(0), z.length() / z.size(0)).dup('c');
        z.close();
        return flat;
    }

    /**
     * The mean softmax cross-entropy of a batch, without a backward pass.
     *
     * @param x      [N, C, H, W] images; not modified
     * @param labels N class indices; not modified
     * @param pass   mode and dropout settings (TRAIN updates the BatchNorm running statistics)
     */
    public double loss(INDArray x, int[] labels, PassOptions pass) {
        try (INDArray z = logits(x, pass)) {
            return SoftmaxCrossEntropy.loss(z, labels);
        }
    }

    /**
     * One forward and backward pass: computes the mean softmax cross-entropy L of the batch and overwrites
     * every parameter's {@link Parameter#gradient()} with ∂L/∂parameter (zeros for parameters the loss
     * does not depend on). In TRAIN mode the BatchNorm running statistics are updated. Parameter values are
     * not changed.
     *
     * @param x      [N, C, H, W] images; converted to the network's precision if needed; not modified
     * @param labels N class indices in [0, K); not modified
     * @param pass   mode, BN momentum, dropout, and whether to return ∂L/∂x
     * @return the loss, the number of correct predictions, and ∂L/∂x when asked for
     * @throws IllegalArgumentException when the shapes or labels do not fit the network
     */
    public StepResult lossAndGradients(INDArray x, int[] labels, PassOptions pass) {
        ensureOpen();
        checkInput(x);
        if (labels.length != x.size(0)) {
            throw new IllegalArgumentException(labels.length + " labels for a batch of " + x.size(0) + " images");
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            List<Node> plan = plan(logits);
            Live acts = new Live();
            Live grads = new Live();
            INDArray inputGrad = null;
            try {
                INDArray in = toPrecision(x);
                acts.put(net.input().name(), in, in == x);
                for (Node n : plan) {
                    acts.put(n.name(), runForward(n, acts, pass, true), false);
                }
                INDArray z = acts.get(logits);
                INDArray g = Nd4j.createUninitialized(z.dataType(), z.shape());
                INDArray zc = null;
                INDArray z2 = z;
                INDArray g2 = g;
                if (z.rank() != 2) {
                    zc = z.dup('c');
                    z2 = zc.reshape('c', z.size(0), z.length() / z.size(0));
                    g2 = g.reshape('c', z.size(0), z.length() / z.size(0));
                }
                double loss = SoftmaxCrossEntropy.lossAndGradient(z2, labels, g2);
                int correct = SoftmaxCrossEntropy.correct(z2, labels);
                Nd.close(zc);
                grads.put(logits, g, false);
                for (int i = plan.size() - 1; i >= 0; i--) {
                    Node n = plan.get(i);
                    if (grads.contains(n.name())) {
                        runBackward(n, grads, pass.inputGradient());
                    }
                }
                if (pass.inputGradient()) {
                    INDArray gi = grads.get(net.input().name());
                    inputGrad = gi == null ? Nd4j.zeros(precision.dataType(), x.shape()) : gi.dup('c');
                }
                return new StepResult(loss, correct, labels.length, inputGrad);
            } finally {
                for (Node n : plan) {
                    ops.get(n.name()).clear();
                }
                grads.releaseAll();
                acts.releaseAll();
            }
        }
    }

    private INDArray runForward(Node n, Live acts, PassOptions pass, boolean save) {
        List<INDArray> ins = new ArrayList<>(n.inputs().size());
        for (String i : n.inputs()) {
            ins.add(acts.get(i));
        }
        try {
            return ops.get(n.name()).forward(ins, pass, save);
        } catch (RuntimeException e) {
            List<String> shapes = new ArrayList<>();
            for (INDArray a : ins) {
                shapes.add(Nd.fmt(a));
            }
            throw new IllegalStateException("node '" + n.name() + "' (" + n.op().onnxType() + ") failed in the "
                    + pass.mode() + " forward pass on input shapes " + shapes + ": " + e.getMessage(), e);
        }
    }

    private void runBackward(Node n, Live grads, boolean wantInputGradient) {
        INDArray g = grads.get(n.name());
        boolean[] need = new boolean[n.inputs().size()];
        for (int i = 0; i < need.length; i++) {
            String in = n.inputs().get(i);
            need[i] = ops.containsKey(in) || wantInputGradient;
        }
        INDArray[] gi;
        try {
            gi = ops.get(n.name()).backward(g, need);
        } catch (RuntimeException e) {
            throw new IllegalStateException("node '" + n.name() + "' (" + n.op().onnxType()
                    + ") failed in the backward pass on output gradient " + Nd.fmt(g) + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < gi.length; i++) {
            if (gi[i] != null) {
                grads.accumulate(n.inputs().get(i), gi[i]);
            }
        }
        grads.release(n.name());
    }

    private INDArray evaluate(INDArray x, PassOptions pass, String target) {
        ensureOpen();
        checkInput(x);
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            List<Node> plan = plan(target);
            Map<String, Integer> lastUse = new HashMap<>();
            for (int i = 0; i < plan.size(); i++) {
                for (String in : plan.get(i).inputs()) {
                    lastUse.put(in, i);
                }
            }
            Live acts = new Live();
            try {
                INDArray in = toPrecision(x);
                acts.put(net.input().name(), in, in == x);
                for (int i = 0; i < plan.size(); i++) {
                    Node n = plan.get(i);
                    acts.put(n.name(), runForward(n, acts, pass, false), false);
                    for (String used : new HashSet<>(n.inputs())) {
                        if (lastUse.get(used) == i && !used.equals(target)) {
                            acts.release(used);
                        }
                    }
                }
                return acts.get(target).dup('c');
            } finally {
                acts.releaseAll();
            }
        }
    }

    /** The nodes {@code target} depends on, in topological order. */
    private List<Node> plan(String target) {
        Set<String> needed = new HashSet<>();
        List<String> stack = new ArrayList<>(List.of(target));
        while (!stack.isEmpty()) {
            String t = stack.remove(stack.size() - 1);
            if (needed.add(t) && ops.containsKey(t)) {
                stack.addAll(net.node(t).inputs());
            }
        }
        List<Node> plan = new ArrayList<>();
        for (Node n : net.nodes()) {
            if (needed.contains(n.name())) {
                plan.add(n);
            }
        }
        return plan;
    }

    private INDArray toPrecision(INDArray x) {
        return x.dataType() == precision.dataType() ? x : x.castTo(precision.dataType());
    }

    private void checkInput(INDArray x) {
        InputSpec spec = net.input();
        long[] s = x.shape();
        boolean ok = s.length == 4 && s[0] >= 1 && s[1] == spec.channels() && s[2] == spec.height()
                && s[3] == spec.width();
        if (!ok) {
            throw new IllegalArgumentException("input '" + spec.name() + "' of network '" + net.name()
                    + "' expects shape [N, " + spec.channels() + ", " + spec.height() + ", " + spec.width()
                    + "] (N >= 1) but got " + Arrays.toString(s));
        }
        if (!x.dataType().isFPType()) {
            throw new IllegalArgumentException("input '" + spec.name() + "' must be floating point, got " + x.dataType());
        }
    }

    /**
     * A new immutable network with the current parameter values and BatchNorm running statistics (converted
     * to float32), and the same nodes, names, shapes, input and outputs as {@link #network()}.
     */
    public Network toNetwork() {
        ensureOpen();
        Map<String, Node> repl = new HashMap<>();
        for (Node n : net.nodes()) {
            TrainOp op = ops.get(n.name());
            if (!op.parameters().isEmpty()) {
                repl.put(n.name(), n.withOp(op.currentOp()));
            }
        }
        return net.replace(repl);
    }

    /** Copies of every parameter value and running statistic, in a fixed order (for {@link #restore}). */
    List<INDArray> snapshot() {
        List<INDArray> s = new ArrayList<>();
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            for (INDArray a : state()) {
                s.add(a.dup());
            }
        }
        return s;
    }

    /** Writes a {@link #snapshot()} back. */
    void restore(List<INDArray> snapshot) {
        List<INDArray> st = state();
        for (int i = 0; i < st.size(); i++) {
            st.get(i).assign(snapshot.get(i));
        }
    }

    private List<INDArray> state() {
        List<INDArray> s = new ArrayList<>();
        for (TrainOp op : ops.values()) {
            for (Parameter p : op.parameters()) {
                s.add(p.value());
            }
            if (op instanceof BatchNormOp b) {
                s.add(b.runningMean());
                s.add(b.runningVar());
            }
        }
        return s;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("trainable network '" + net.name() + "' was closed");
        }
    }

    /** Frees the parameters, gradients and running statistics. Further calls fail. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (TrainOp op : ops.values()) {
                op.clear();
                op.release();
                for (Parameter p : op.parameters()) {
                    p.close();
                }
                if (op instanceof BatchNormOp b) {
                    Nd.close(b.runningMean(), b.runningVar());
                }
            }
        }
    }

    @Override
    public String toString() {
        return "TrainableNetwork[" + net.name() + ", " + precision + ", " + params.size() + " parameter tensors]";
    }
}
