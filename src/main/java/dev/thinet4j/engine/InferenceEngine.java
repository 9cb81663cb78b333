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
 * requested tensors depend on, in topological order, and closes each intermediate array as soon as no
 * later node reads it, so the memory held is about that of the live activations. Element-wise nodes
 * (BatchNorm, activations, Add) write into their input when nothing else reads it any more. The caller's
 * input array is never modified or closed.
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
    private final Map<String, OpKernel> kernels;
    private final Map<String, Integer> order;
    private volatile boolean closed;
    /** Peak bytes of engine-owned activation storage during the last forward pass (for tests). */
    private volatile long lastPeakLiveBytes;

    /**
     * Converts the network's weights.
     *
     * @param net the network; not modified
     * @throws UnsupportedOperationException naming the first node whose op has no kernel
     */
    public InferenceEngine(Network net) {
        this.net = net;
        Map<String, OpKernel> ks = new LinkedHashMap<>();
        Map<String, Integer> ord = new HashMap<>();
        try {
            for (Node n : net.nodes()) {
                ord.put(n.name(), ord.size());
                ks.put(n.name(), Kernels.create(n));
            }
        } catch (RuntimeException e) {
            ks.values().forEach(OpKernel::close);
            throw e;
        }
        this.kernels = Collections.unmodifiableMap(ks);
        this.order = Collections.unmodifiableMap(ord);
        LOG.debug("engine for {}: {} kernels", net, ks.size());
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
     * The network's first output for a batch.
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
            return new Run(requested).execute(input);
        }
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
        long per = (long) in.channels() * in.height() * in.width();
        if (batch < 1 || nchw.length != per * batch) {
            throw new IllegalArgumentException("forwardToArray: " + batch + " image(s) of " + in.channels() + "x"
                    + in.height() + "x" + in.width() + " need " + per * Math.max(batch, 0) + " values, got "
                    + nchw.length);
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             INDArray x = Nd4j.create(nchw, new long[]{batch, in.channels(), in.height(), in.width()}, DataType.FLOAT);
             INDArray y = forward(x)) {
            int cols = Math.toIntExact(y.length() / batch);
            float[] flat = y.dup('c').data().asFloat();
            float[][] rows = new float[batch][];
            for (int i = 0; i < batch; i++) {
                rows[i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
            }
            return rows;
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

    /** Releases the converted weights. Further calls fail. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            kernels.values().forEach(OpKernel::close);
        }
    }

    /** Peak bytes held by engine-owned activations during the last completed forward pass. */
    long lastPeakLiveBytes() {
        return lastPeakLiveBytes;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("inference engine for network '" + net.name() + "' was closed");
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

    /** One forward pass: the plan and the live tensors. */
    private final class Run {
        private final Set<String> requested;
        private final List<Node> plan = new ArrayList<>();
        /** Plan index of the last node reading each tensor; requested tensors live to the end. */
        private final Map<String, Integer> lastUse = new HashMap<>();
        private final Map<String, INDArray> live = new HashMap<>();
        private final Map<String, Storage> storageOf = new HashMap<>();
        private final Map<DataBuffer, Storage> byBuffer = new IdentityHashMap<>();
        private long liveBytes;
        private long peakBytes;

        Run(Set<String> requested) {
            this.requested = requested;
            Set<String> needed = new HashSet<>();
            List<String> stack = new ArrayList<>(requested);
            while (!stack.isEmpty()) {
                String t = stack.remove(stack.size() - 1);
                if (needed.add(t) && kernels.containsKey(t)) {
                    stack.addAll(net.node(t).inputs());
                }
            }
            for (Node n : net.nodes()) {
                if (needed.contains(n.name())) {
                    for (String in : n.inputs()) {
                        lastUse.put(in, plan.size());
                    }
                    plan.add(n);
                }
            }
            for (String t : requested) {
                lastUse.put(t, Integer.MAX_VALUE);
            }
        }

        Map<String, INDArray> execute(INDArray input) {
            long t0 = System.nanoTime();
            boolean success = false;
            try {
                String inName = net.input().name();
                if (input.dataType() == DataType.FLOAT) {
                    register(inName, input, true);
                } else {
                    register(inName, input.castTo(DataType.FLOAT), false);
                }
                for (int i = 0; i < plan.size(); i++) {
                    step(i, plan.get(i));
                }
                Map<String, INDArray> result = collect();
                success = true;
                lastPeakLiveBytes = peakBytes;
                if (LOG.isDebugEnabled()) {
                    LOG.debug("forward {} batch {}: {} of {} nodes for {} in {} ms, peak activations {} KiB",
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

        private void step(int i, Node node) {
            List<INDArray> ins = new ArrayList<>(node.inputs().size());
            for (String in : node.inputs()) {
                ins.add(live.get(in));
            }
            String first = node.inputs().get(0);
            Storage firstStorage = storageOf.get(first);
            boolean overwrite = lastUse.get(first) == i
                    && Collections.frequency(node.inputs(), first) == 1
                    && !firstStorage.callerOwned
                    && firstStorage.live == 1;
            INDArray out = kernels.get(node.name()).apply(ins, overwrite);
            register(node.name(), out, false);
            for (String in : new LinkedHashSet<>(node.inputs())) {
                if (lastUse.get(in) == i) {
                    release(in);
                }
            }
        }

        private void register(String name, INDArray array, boolean callerOwned) {
            DataBuffer key = NdArrays.storage(array);
            Storage st = byBuffer.get(key);
            if (st == null) {
                st = new Storage(array, callerOwned);
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
                NdArrays.closeQuietly(st.owner);
            }
        }

        /** Hands out the requested arrays (copying where memory is shared) and frees everything else. */
        private Map<String, INDArray> collect() {
            Map<String, INDArray> result = new LinkedHashMap<>();
            Set<Storage> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
            for (String t : requested) {
                INDArray a = live.get(t);
                Storage st = storageOf.get(t);
                boolean giveAsIs = !st.callerOwned && a == st.owner && !handedOut.contains(st);
                if (giveAsIs) {
                    handedOut.add(st);
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

        private void releaseAll() {
            for (Storage st : new ArrayList<>(byBuffer.values())) {
                drop(st);
            }
            byBuffer.clear();
            live.clear();
            storageOf.clear();
        }
    }
}
