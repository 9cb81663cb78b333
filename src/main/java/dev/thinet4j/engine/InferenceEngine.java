package dev.thinet4j.engine;

import dev.thinet4j.model.InputSpec;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Batched float32 inference of a {@link Network} on ND4J's native CPU ops.
 *
 * <p>The constructor converts every weight tensor once into ND4J arrays in the layout the native ops want
 * (one {@link OpKernel} per node); {@link #close()} releases them. A forward pass runs only the nodes the
 * requested tensors depend on, in topological order, and gives each intermediate array back as soon as no
 * later node reads it, so the memory held is about that of the live activations. Element-wise nodes
 * (BatchNorm, activations, Add) write into their input when nothing else reads it any more. The caller's
 * input array is never modified or closed.
 *
 * <p>Speed-ups that do not change what a pass computes (beyond float rounding):
 * <ul>
 *   <li>Convolutions run in NHWC layout, and the tensors between them stay in it: oneDNN's convolution
 *       wants NHWC, and given NCHW it reorders input and output on every call. Element-wise ops, pooling,
 *       global pooling, Add, channel Concat, broadcast arithmetic (e.g. a squeeze-excitation gate), spatial
 *       ReduceMean and Transpose work on NHWC directly (a Transpose to channels-last and back moves no data);
 *       other ops get an NCHW copy. Tensors of other ranks (2-D, 3-D, 5-D, channels-last [N, H, W, C]) are
 *       dense c-order arrays.
 *       Returned arrays are always dense c-order NCHW.</li>
 *   <li>A BatchNorm whose input is a convolution's output that nothing else reads (and that was not
 *       requested) is folded into that convolution's weights at construction; the network is not changed
 *       and {@link #kernel(String)} still returns the unfused kernels.</li>
 *   <li>Intermediate buffers go back to the engine's {@link ActivationBuffers} and are reused by later passes
 *       (fresh native memory above 32 MiB costs page faults on every pass). They never hold more than the
 *       largest activation memory a pass needed at once; {@link #close()} frees them unless they are shared.</li>
 * </ul>
 *
 * <p>Every array a forward method returns is a new array owned by the caller (close it, or leave it to the
 * garbage collector); none shares memory with another returned array or with the input. All arrays are
 * allocated outside any active ND4J workspace.
 *
 * <p>A forward pass keeps no state in the engine, so several threads may run forward passes at once;
 * {@link #close()} must not race with them. The number of cores each native op uses is set by the
 * {@code OMP_NUM_THREADS} environment variable; the engine never changes ND4J's thread settings.
 */
public final class InferenceEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceEngine.class);

    private final Network net;
    private final Map<String, AbstractKernel> kernels;
    /** Conv node name → the kernel of the conv with the BatchNorm that alone reads it folded in. */
    private final Map<String, Fused> fused;
    private final Map<String, Integer> order;
    private final ActivationBuffers activationBuffers;
    private final boolean ownsBuffers;
    private final Buffers buffers;
    private volatile boolean closed;
    /** Set when a newer engine took over this one's kernels: no more passes. */
    private volatile boolean retired;
    /** Kernels handed to a newer engine (identity), which {@link #close()} leaves alone. */
    private final java.util.Set<OpKernel> donated = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** Peak bytes of engine-owned activation storage during the last forward pass (for tests). */
    private volatile long lastPeakLiveBytes;

    /**
     * Converts the network's weights.
     *
     * @param net the network; not modified
     * @throws UnsupportedOperationException naming the first node whose op has no kernel
     */
    public InferenceEngine(Network net) {
        this(net, null);
    }

    /**
     * Converts the network's weights; the engine keeps its activation buffers in {@code shared} (which the
     * caller closes) instead of its own, so that engines run one after another reuse the same memory.
     *
     * @param net    the network; not modified
     * @param shared buffers to share with other engines, or null for the engine's own
     * @throws UnsupportedOperationException naming the first node whose op has no kernel
     */
    public InferenceEngine(Network net, ActivationBuffers shared) {
        this(net, shared, null);
    }

    /**
     * Like {@link #InferenceEngine(Network, ActivationBuffers)}, taking over the kernels of {@code donor} for the
     * nodes both networks share (the same {@link Node} object, so the same weights): only changed nodes are
     * converted again. Made for a pruning run, where each layer's network differs from the previous one in a few
     * nodes. Afterwards {@code donor} is retired: it must not run passes any more (they fail), and closing it
     * (the caller's duty) frees only the kernels it kept.
     *
     * @param net    the network; not modified
     * @param shared buffers to share with other engines, or null for the engine's own
     * @param donor  an engine not in use by any thread, or null
     * @throws UnsupportedOperationException naming the first node whose op has no kernel
     * @throws IllegalStateException         when {@code donor} is closed or retired
     */
    public InferenceEngine(Network net, ActivationBuffers shared, InferenceEngine donor) {
        if (donor != null) {
            donor.ensureOpen();
        }
        this.net = net;
        this.ownsBuffers = shared == null;
        this.activationBuffers = shared == null ? new ActivationBuffers() : shared;
        this.buffers = activationBuffers.pool;
        Map<String, AbstractKernel> ks = new LinkedHashMap<>();
        Map<String, Fused> fs = new HashMap<>();
        Map<String, Integer> ord = new HashMap<>();
        try {
            for (Node n : net.nodes()) {
                ord.put(n.name(), ord.size());
                AbstractKernel taken = donor == null ? null : donor.give(n);
                ks.put(n.name(), taken != null ? taken : (AbstractKernel) Kernels.create(n));
                Node bn = foldableBatchNorm(n);
                if (bn != null) {
                    AbstractKernel takenFused = donor == null ? null : donor.giveFused(n, bn);
                    fs.put(n.name(), new Fused(bn.name(), takenFused != null ? takenFused
                            : new ConvKernel(n, (dev.thinet4j.model.Op.Conv) n.op(), (dev.thinet4j.model.Op.BatchNorm) bn.op())));
                }
            }
        } catch (RuntimeException e) {
            ks.values().forEach(OpKernel::close);
            fs.values().forEach(f -> f.kernel.close());
            throw e;
        }
        this.kernels = Collections.unmodifiableMap(ks);
        this.fused = Collections.unmodifiableMap(fs);
        this.order = Collections.unmodifiableMap(ord);
        if (donor != null) {
            donor.retired = true;
            LOG.debug("engine for {}: {} kernels taken over from the previous engine", net, donor.donated.size());
        }
        LOG.debug("engine for {}: {} kernels, {} BatchNorm(s) folded into convolutions", net, ks.size(), fs.size());
    }

    /** This engine's kernel for {@code n} when its network has that very node, marked as no longer its own. */
    private AbstractKernel give(Node n) {
        if (net.findNode(n.name()).orElse(null) != n) {
            return null;
        }
        AbstractKernel k = kernels.get(n.name());
        return k != null && donated.add(k) ? k : null;
    }

    /** This engine's fused kernel for conv {@code n} + BatchNorm {@code bn} when it has both very nodes. */
    private AbstractKernel giveFused(Node n, Node bn) {
        if (net.findNode(n.name()).orElse(null) != n || net.findNode(bn.name()).orElse(null) != bn) {
            return null;
        }
        Fused f = fused.get(n.name());
        return f != null && f.batchNorm.equals(bn.name()) && donated.add(f.kernel) ? f.kernel : null;
    }

    /** A conv and the BatchNorm folded into it; the fused kernel writes the BatchNorm's output. */
    private record Fused(String batchNorm, AbstractKernel kernel) {
    }

    /** The BatchNorm that is the only reader of conv {@code n}'s output, when that output is not a network output. */
    private Node foldableBatchNorm(Node n) {
        if (!(n.op() instanceof dev.thinet4j.model.Op.Conv) || net.outputs().contains(n.name())) {
            return null;
        }
        List<Node> readers = net.consumers(n.name());
        if (readers.size() != 1) {
            return null;
        }
        Node r = readers.get(0);
        boolean ok = r.op() instanceof dev.thinet4j.model.Op.BatchNorm && r.inputs().size() == 1
                && r.inputs().get(0).equals(n.name());
        return ok ? r : null;
    }

    /**
     * The network this engine runs.
     *
     * @return the network given to the constructor
     */
    public Network network() {
        return net;
    }

    /**
     * The network's first output for a batch (see {@link #forwardAll} for all of them).
     *
     * @param input [N, C, H, W] with C, H, W of the network's {@link InputSpec}; float32 (other floating
     *              types are converted). Not modified.
     * @return a new [N, …] array owned by the caller
     * @throws IllegalArgumentException naming the expected and the actual shape when they differ
     */
    public INDArray forward(INDArray input) {
        String out = net.outputs().get(0);
        return forward(input, List.of(out)).get(out);
    }

    /**
     * Every network output for a batch, from one pass (a detector with several heads, a network with auxiliary
     * outputs).
     *
     * @param input [N, C, H, W] batch; not modified
     * @return output name → a new array owned by the caller, in the order of {@link Network#outputs()}
     * @throws IllegalArgumentException naming the expected and the actual shape when they differ
     */
    public Map<String, INDArray> forwardAll(INDArray input) {
        return forward(input, net.outputs());
    }

    /**
     * The requested tensors (node names or the input name) for a batch, computing only the nodes they
     * depend on.
     *
     * @param input   [N, C, H, W] batch; not modified
     * @param tensors names to return; duplicates are ignored
     * @return exactly the requested tensors, in the order first named, each a new array owned by the caller
     * @throws IllegalArgumentException naming an unknown tensor, or the expected and actual input shapes
     */
    public Map<String, INDArray> forward(INDArray input, Collection<String> tensors) {
        ensureOpen();
        Set<String> requested = new LinkedHashSet<>(tensors);
        for (String t : requested) {
            if (!t.equals(net.input().name()) && !kernels.containsKey(t)) {
                throw new IllegalArgumentException("unknown tensor '" + t + "': network '" + net.name()
                        + "' has no node of that name and its input is '" + net.input().name() + "'");
            }
        }
        checkInput(input);
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return new Run(requested, Set.of(net.input().name())).execute(input);
        }
    }

    /**
     * Runs a forward pass and lends the requested tensors to {@code reader} without copying them, then takes
     * them back. Cheaper than {@link #forward(INDArray, Collection)} for large activations that are read once
     * (no copy, no fresh memory).
     *
     * <p>The arrays are valid only during the call and must not be modified, closed or kept. They have the
     * logical NCHW shape but may have any strides: an activation between convolutions is an NCHW-shaped
     * view of NHWC memory, so read it through its shape, strides and offset (or {@code dup('c')} it), never
     * through {@code data()} in c-order.
     *
     * @param input   [N, C, H, W] batch; not modified
     * @param tensors names to lend (duplicates are ignored)
     * @param reader  reads the tensors, keyed by name, in the order first named
     * @return what {@code reader} returns
     * @throws IllegalArgumentException naming an unknown tensor, or the expected and actual input shapes
     */
    public <T> T withTensors(INDArray input, Collection<String> tensors,
                             java.util.function.Function<Map<String, INDArray>, T> reader) {
        ensureOpen();
        checkInput(input);
        return withTensors(Map.of(net.input().name(), input), tensors, reader);
    }

    /**
     * As {@link #withTensors(INDArray, Collection, java.util.function.Function)}, but the pass starts from given
     * tensors instead of (or besides) the network input: only the nodes between them and the requested tensors
     * run. Use it to continue from activations kept earlier (see {@link ActivationBuffers#keep}).
     *
     * @param given   tensor name → its value for the batch (NCHW shape of that tensor, any strides, float32),
     *                e.g. the network input or an intermediate activation; not modified. Every requested tensor
     *                must be computable from these.
     * @param tensors names to lend (duplicates are ignored)
     * @param reader  reads the tensors, keyed by name, in the order first named
     * @return what {@code reader} returns
     * @throws IllegalArgumentException naming an unknown tensor, a tensor whose given shape is wrong, or a
     *                                  requested tensor that needs a tensor that was not given
     */
    public <T> T withTensors(Map<String, INDArray> given, Collection<String> tensors,
                             java.util.function.Function<Map<String, INDArray>, T> reader) {
        ensureOpen();
        Set<String> requested = new LinkedHashSet<>(tensors);
        for (String t : requested) {
            if (!t.equals(net.input().name()) && !kernels.containsKey(t)) {
                throw new IllegalArgumentException("unknown tensor '" + t + "': network '" + net.name()
                        + "' has no node of that name and its input is '" + net.input().name() + "'");
            }
        }
        checkGiven(given);
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            Run run = new Run(requested, given.keySet());
            Map<String, INDArray> lent = run.executeLent(given);
            try {
                return reader.apply(Collections.unmodifiableMap(lent));
            } finally {
                run.releaseAll();
            }
        }
    }

    private void checkGiven(Map<String, INDArray> given) {
        if (given.isEmpty()) {
            throw new IllegalArgumentException("no tensor given to start network '" + net.name() + "' from");
        }
        long batch = -1;
        Map<String, int[]> shapes = null;
        for (Map.Entry<String, INDArray> e : given.entrySet()) {
            String t = e.getKey();
            INDArray a = e.getValue();
            if (t.equals(net.input().name())) {
                checkInput(a);
            } else if (!kernels.containsKey(t)) {
                throw new IllegalArgumentException("unknown tensor '" + t + "' given to network '" + net.name() + "'");
            } else {
                if (shapes == null) {
                    shapes = net.shapes(Math.toIntExact(a.size(0)));
                }
                if (!Arrays.equals(NdArrays.shapeOf(a), shapes.get(t)) || a.dataType() != DataType.FLOAT) {
                    throw new IllegalArgumentException("tensor '" + t + "' of network '" + net.name() + "' must be float32 "
                            + NdArrays.fmt(shapes.get(t)) + " but got " + a.dataType() + " " + NdArrays.fmt(a));
                }
            }
            if (batch >= 0 && a.size(0) != batch) {
                throw new IllegalArgumentException("given tensors of network '" + net.name()
                        + "' have different batch sizes: " + batch + " and " + a.size(0) + " ('" + t + "')");
            }
            batch = a.size(0);
        }
    }

    /**
     * Convenience: every network output for a batch given as a flat NCHW float array, from one pass.
     *
     * @param nchw  batch·C·H·W values in NCHW order; not modified
     * @param batch number of images
     * @return output name → one row per image holding that image's output values in row-major order, in the
     *         order of {@link Network#outputs()}
     */
    public Map<String, float[][]> forwardAllToArray(float[] nchw, int batch) {
        InputSpec in = net.input();
        checkFlat(nchw, batch);
        Map<String, float[][]> result = new LinkedHashMap<>();
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             INDArray x = Nd4j.create(nchw, new long[]{batch, in.channels(), in.height(), in.width()}, DataType.FLOAT)) {
            Map<String, INDArray> outs = forwardAll(x);
            try {
                for (Map.Entry<String, INDArray> e : outs.entrySet()) {
                    result.put(e.getKey(), rows(e.getValue(), batch));
                }
            } finally {
                outs.values().forEach(NdArrays::closeQuietly);
            }
        }
        return result;
    }

    private void checkFlat(float[] nchw, int batch) {
        InputSpec in = net.input();
        long per = (long) in.channels() * in.height() * in.width();
        if (batch < 1 || nchw.length != per * batch) {
            throw new IllegalArgumentException("forwardToArray: " + batch + " image(s) of " + in.channels() + "x"
                    + in.height() + "x" + in.width() + " need " + per * Math.max(batch, 0) + " values, got "
                    + nchw.length);
        }
    }

    private static float[][] rows(INDArray y, int batch) {
        int cols = Math.toIntExact(y.length() / batch);
        float[] flat = y.dup('c').data().asFloat();
        float[][] rows = new float[batch][];
        for (int i = 0; i < batch; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
        }
        return rows;
    }

    /**
     * Convenience: the first output for a batch given as a flat NCHW float array.
     *
     * @param nchw  batch·C·H·W values in NCHW order; not modified
     * @param batch number of images
     * @return one row per image holding that image's output values in row-major order
     */
    public float[][] forwardToArray(float[] nchw, int batch) {
        InputSpec in = net.input();
        checkFlat(nchw, batch);
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             INDArray x = Nd4j.create(nchw, new long[]{batch, in.channels(), in.height(), in.width()}, DataType.FLOAT);
             INDArray y = forward(x)) {
            return rows(y, batch);
        }
    }

    /**
     * The cached kernel of a node, owned by this engine (do not close it).
     *
     * @param nodeName a node of the network
     * @return its kernel
     * @throws IllegalArgumentException when no node has that name
     */
    public OpKernel kernel(String nodeName) {
        ensureOpen();
        OpKernel k = kernels.get(nodeName);
        if (k == null) {
            throw new IllegalArgumentException("no node named '" + nodeName + "' in network '" + net.name() + "'");
        }
        return k;
    }

    /**
     * Runs one node of this network with its cached weights.
     *
     * @param nodeName a node of the network
     * @param inputs   one array per node input, in order; not modified
     * @return a new array owned by the caller (never sharing memory with an input)
     */
    public INDArray runNode(String nodeName, List<INDArray> inputs) {
        return detached(kernel(nodeName).apply(inputs, false), inputs);
    }

    /**
     * Runs one node on its own, converting its weights for this call only.
     *
     * @param node   the node
     * @param inputs one array per node input, in order; not modified
     * @return a new array owned by the caller (never sharing memory with an input)
     */
    public static INDArray runNode(Node node, List<INDArray> inputs) {
        try (OpKernel k = Kernels.create(node)) {
            return detached(k.apply(inputs, false), inputs);
        }
    }

    private static INDArray detached(INDArray out, List<INDArray> inputs) {
        for (INDArray in : inputs) {
            if (NdArrays.sameStorage(out, in)) {
                return out.dup();
            }
        }
        return out;
    }

    /** Releases the converted weights and the engine's own activation buffers (not shared ones). Further calls fail. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            kernels.values().stream().filter(k -> !donated.contains(k)).forEach(OpKernel::close);
            fused.values().stream().filter(f -> !donated.contains(f.kernel)).forEach(f -> f.kernel.close());
            if (ownsBuffers) {
                activationBuffers.close();
            }
        }
    }

    /**
     * The buffers this engine keeps activations in: its own, or the ones given to the constructor. Pass them to
     * the next engine to share them; do not close an engine's own buffers.
     *
     * @return the engine's activation buffers
     */
    public ActivationBuffers activationBuffers() {
        return activationBuffers;
    }

    /** Peak bytes held by engine-owned activations during the last completed forward pass. */
    long lastPeakLiveBytes() {
        return lastPeakLiveBytes;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("inference engine for network '" + net.name() + "' was closed");
        }
        if (retired) {
            throw new IllegalStateException("inference engine for network '" + net.name() + "' handed its kernels to"
                    + " a newer engine; use that one");
        }
    }

    private void checkInput(INDArray input) {
        InputSpec spec = net.input();
        long[] s = input.shape();
        boolean ok = s.length == 4 && s[0] >= 1 && s[1] == spec.channels() && s[2] == spec.height()
                && s[3] == spec.width();
        if (!ok) {
            throw new IllegalArgumentException("input '" + spec.name() + "' of network '" + net.name()
                    + "' expects shape [N, " + spec.channels() + ", " + spec.height() + ", " + spec.width()
                    + "] (N >= 1) but got " + Arrays.toString(s));
        }
        if (!input.dataType().isFPType()) {
            throw new IllegalArgumentException("input '" + spec.name() + "' must be floating point, got "
                    + input.dataType());
        }
    }

    /** Memory behind one or more live tensors (a tensor, its views, its in-place results). */
    private static final class Storage {
        final INDArray owner;
        final boolean callerOwned;
        final long bytes;
        int live;

        Storage(INDArray owner, boolean callerOwned) {
            this.owner = owner;
            this.callerOwned = callerOwned;
            this.bytes = callerOwned ? 0 : owner.data().length() * owner.data().getElementSize();
        }
    }

    /** One step of a pass: a kernel (perhaps a fused one) writing the tensor {@code output}. */
    private record Step(String output, AbstractKernel kernel, List<String> inputs) {
    }

    /** One forward pass: the plan and the live tensors. */
    private final class Run {
        private final Set<String> requested;
        private final List<Step> plan = new ArrayList<>();
        /** Plan index of the last step reading each tensor; requested tensors live to the end. */
        private final Map<String, Integer> lastUse = new HashMap<>();
        private final Map<String, INDArray> live = new HashMap<>();
        private final Map<String, Storage> storageOf = new HashMap<>();
        private final Map<DataBuffer, Storage> byBuffer = new IdentityHashMap<>();
        private long liveBytes;
        private long peakBytes;

        Run(Set<String> requested, Set<String> given) {
            this.requested = requested;
            Set<String> needed = new HashSet<>();
            List<String> stack = new ArrayList<>(requested);
            while (!stack.isEmpty()) {
                String t = stack.remove(stack.size() - 1);
                if (!needed.add(t) || given.contains(t)) {
                    continue;
                }
                if (kernels.containsKey(t)) {
                    stack.addAll(net.node(t).inputs());
                } else {
                    throw new IllegalArgumentException("the requested tensors of network '" + net.name() + "' need '"
                            + t + "', which was not given (given: " + given + ")");
                }
            }
            needed.removeAll(given);
            Set<String> skipped = new HashSet<>();
            for (Node n : net.nodes()) {
                if (!needed.contains(n.name()) || skipped.contains(n.name())) {
                    continue;
                }
                Fused f = fused.get(n.name());
                Step step;
                if (f != null && !requested.contains(n.name())) {
                    // the conv's only reader is the BatchNorm, so the conv is needed only for it
                    step = new Step(f.batchNorm, f.kernel, n.inputs());
                    skipped.add(f.batchNorm);
                } else {
                    step = new Step(n.name(), kernels.get(n.name()), n.inputs());
                }
                for (String in : step.inputs) {
                    lastUse.put(in, plan.size());
                }
                plan.add(step);
            }
            for (String t : requested) {
                lastUse.put(t, Integer.MAX_VALUE);
            }
        }

        Map<String, INDArray> execute(INDArray input) {
            long t0 = System.nanoTime();
            boolean success = false;
            try {
                run(input);
                Map<String, INDArray> result = collect();
                success = true;
                if (LOG.isDebugEnabled()) {
                    LOG.debug("forward {} batch {}: {} steps of {} nodes for {} in {} ms, peak activations {} KiB",
                            net.name(), input.size(0), plan.size(), net.nodes().size(), requested,
                            (System.nanoTime() - t0) / 1_000_000, peakBytes / 1024);
                }
                return result;
            } finally {
                if (!success) {
                    releaseAll();
                }
            }
        }

        /** Runs the plan and returns the requested tensors as they are; the caller must call {@link #releaseAll()}. */
        Map<String, INDArray> executeLent(Map<String, INDArray> given) {
            boolean success = false;
            try {
                for (Map.Entry<String, INDArray> e : given.entrySet()) {
                    INDArray a = e.getValue();
                    if (a.dataType() == DataType.FLOAT) {
                        register(e.getKey(), a, true, null);
                    } else {
                        register(e.getKey(), a.castTo(DataType.FLOAT), false, null);
                    }
                }
                runPlan();
                Map<String, INDArray> result = new LinkedHashMap<>();
                for (String t : requested) {
                    result.put(t, live.get(t));
                }
                success = true;
                return result;
            } finally {
                if (!success) {
                    releaseAll();
                }
            }
        }

        private void run(INDArray input) {
            String inName = net.input().name();
            if (input.dataType() == DataType.FLOAT) {
                register(inName, input, true, null);
            } else {
                register(inName, input.castTo(DataType.FLOAT), false, null);
            }
            runPlan();
        }

        private void runPlan() {
            for (int i = 0; i < plan.size(); i++) {
                step(i, plan.get(i));
            }
            lastPeakLiveBytes = peakBytes;
        }

        private void step(int i, Step step) {
            List<INDArray> ins = new ArrayList<>(step.inputs.size());
            List<INDArray> scratch = new ArrayList<>(0);
            boolean converted0 = false;
            for (int k = 0; k < step.inputs.size(); k++) {
                INDArray a = live.get(step.inputs.get(k));
                if (!step.kernel.acceptsNhwc() && NdArrays.isNhwc(a)) {
                    a = NdArrays.toDenseC(a, buffers);
                    scratch.add(a);
                    converted0 |= k == 0;
                }
                ins.add(a);
            }
            String first = step.inputs.get(0);
            Storage firstStorage = storageOf.get(first);
            boolean overwrite = converted0 || (lastUse.get(first) == i
                    && Collections.frequency(step.inputs, first) == 1
                    && !firstStorage.callerOwned
                    && firstStorage.live == 1);
            INDArray out = step.kernel.run(ins, overwrite, buffers);
            INDArray owner = null;
            for (INDArray c : scratch) {
                if (NdArrays.sameStorage(c, out)) {
                    owner = c;
                } else {
                    buffers.recycle(c);
                }
            }
            register(step.output, out, false, owner);
            for (String in : new LinkedHashSet<>(step.inputs)) {
                if (lastUse.get(in) == i) {
                    release(in);
                }
            }
        }

        private void register(String name, INDArray array, boolean callerOwned, INDArray owner) {
            DataBuffer key = NdArrays.storage(array);
            Storage st = byBuffer.get(key);
            if (st == null) {
                st = new Storage(owner != null ? owner : array, callerOwned);
                byBuffer.put(key, st);
                liveBytes += st.bytes;
                peakBytes = Math.max(peakBytes, liveBytes);
            }
            st.live++;
            storageOf.put(name, st);
            live.put(name, array);
        }

        private void release(String name) {
            live.remove(name);
            Storage st = storageOf.remove(name);
            if (--st.live == 0) {
                drop(st);
            }
        }

        private void drop(Storage st) {
            byBuffer.remove(NdArrays.storage(st.owner));
            if (!st.callerOwned) {
                liveBytes -= st.bytes;
                buffers.recycle(st.owner);
            }
        }

        /**
         * Hands out the requested arrays (copying where memory is shared or the layout is not dense c-order
         * NCHW) and gives everything else back to the pool.
         */
        private Map<String, INDArray> collect() {
            Map<String, INDArray> result = new LinkedHashMap<>();
            Set<Storage> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
            for (String t : requested) {
                INDArray a = live.get(t);
                Storage st = storageOf.get(t);
                boolean giveAsIs = !st.callerOwned && a == st.owner && !handedOut.contains(st)
                        && NdArrays.isDenseC(a) && a.offset() == 0 && !a.isView();
                if (giveAsIs) {
                    handedOut.add(st);
                    buffers.forget(a);
                    result.put(t, a);
                } else {
                    result.put(t, a.dup('c'));
                }
            }
            for (Storage st : new ArrayList<>(byBuffer.values())) {
                if (!handedOut.contains(st)) {
                    drop(st);
                }
            }
            byBuffer.clear();
            live.clear();
            storageOf.clear();
            return result;
        }

        void releaseAll() {
            for (Storage st : new ArrayList<>(byBuffer.values())) {
                drop(st);
            }
            byBuffer.clear();
            live.clear();
            storageOf.clear();
        }
    }
}
