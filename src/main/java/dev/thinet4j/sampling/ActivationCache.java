package dev.thinet4j.sampling;

import dev.thinet4j.engine.ActivationBuffers;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.LayerSize;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Activations kept from one layer's sampling pass to the next, so that a layer-by-layer pruning run does not
 * push every calibration image through the whole network prefix again for every layer.
 *
 * <p>For each of the two networks a run samples — the one being pruned ("current") and the unpruned
 * original that gives the targets ("reference") — the cache keeps one tensor for every calibration batch. A
 * sampling pass that finds a usable kept tensor starts from it instead of from the images (see
 * {@link dev.thinet4j.engine.InferenceEngine#withTensors(Map, Collection, java.util.function.Function)}); while
 * it runs, it keeps a tensor further down for the next layer. A kept tensor is usable when
 * <ul>
 *   <li>every node it depends on is unchanged (the same {@link Node} object) in the network sampled now, and</li>
 *   <li>every path from the input to the tensors sampled now passes through it, and</li>
 *   <li>the batches are the same (same images, same batch size).</li>
 * </ul>
 * The tensor kept for the next layer is the latest one (in topological order) that the pass computes anyway,
 * that every sampled tensor depends on only through it, that — for the current network — does not depend on
 * the layer being pruned (whose channels and consumers are about to change), whose values for all images
 * fit in the budget together with what the cache already holds, and that saves enough work per byte kept
 * ({@value #MIN_MACS_PER_BYTE} multiply-adds). So the values are exactly those a pass from the
 * images would compute. With a chain network the current network restarts from the input of the layer being
 * pruned (two convolutions per layer instead of the whole prefix) and the reference from the previous layer's
 * sampled tensor (one convolution per layer), memory permitting.
 *
 * <p>Memory: at most {@code budgetBytes} of kept activations (native memory in {@link #buffers()}). Engines of
 * the run must use {@link #buffers()} so that keeping a tensor costs no copy. Not thread-safe; close it at the
 * end of the run.
 */
public final class ActivationCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActivationCache.class);

    /**
     * A tensor is kept only when the next pass skips at least this many multiply-adds per byte kept. Keeping a
     * byte costs a copy and, often, fresh memory: on the 2-core VM of docs/performance.md a first touch costs
     * about 6 ns per byte, what a convolution does in ~250 multiply-adds; 32 and 256 were measured there, 256
     * ran the end-to-end benchmark 8 % faster with 40 % less fresh memory.
     */
    static final long MIN_MACS_PER_BYTE = 256;

    private final long budgetBytes;
    private final long minMacsPerByte;
    private final ActivationBuffers buffers = new ActivationBuffers();
    /** The engine of the last {@link #engine(Network)} call, owned by the cache. */
    private InferenceEngine lastEngine;
    private final Map<Boolean, Entry> entries = new HashMap<>();
    /** Bytes that passes in progress will keep (planned captures not yet finished). */
    private long pendingBytes;

    /**
     * @param budgetBytes most bytes of activations kept at once (0 keeps nothing)
     */
    public ActivationCache(long budgetBytes) {
        this(budgetBytes, MIN_MACS_PER_BYTE);
    }

    /** As {@link #ActivationCache(long)} with another work-per-byte threshold (tests keep everything with 0). */
    ActivationCache(long budgetBytes, long minMacsPerByte) {
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("activation cache budget must be >= 0, got " + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
        this.minMacsPerByte = minMacsPerByte;
    }

    /**
     * @return the buffers the engines of the run should use (so that kept tensors are not copied)
     */
    public ActivationBuffers buffers() {
        return buffers;
    }

    /**
     * An engine for {@code net} on {@link #buffers()} that takes over the kernels of the previous call's engine for
     * the nodes the two networks share (see {@link InferenceEngine#InferenceEngine(Network, ActivationBuffers,
     * InferenceEngine)}), then closes that engine. The cache owns the engine: do not close it; it stays valid until
     * the next call or {@link #close()}.
     *
     * @param net the network to run
     * @return its engine
     */
    public InferenceEngine engine(Network net) {
        InferenceEngine previous = lastEngine;
        InferenceEngine e = new InferenceEngine(net, buffers, previous);
        lastEngine = e;
        if (previous != null) {
            previous.close();
        }
        return e;
    }

    /**
     * @return bytes of activations kept right now
     */
    public long keptBytes() {
        long b = 0;
        for (Entry e : entries.values()) {
            b += e.bytes;
        }
        return b;
    }

    /** One kept tensor of one network: its value for every batch. */
    record Entry(Network network, String tensor, Set<String> upstream, int batchSize, List<long[]> batchKeys,
                 List<INDArray> values, long bytes) {
    }

    /** How a pass of one network uses the cache: where it starts and what it keeps. */
    final class Use {
        final boolean reference;
        final Entry start;
        final String capture;
        final long planned;
        final List<long[]> keys = new ArrayList<>();
        final List<INDArray> captured = new ArrayList<>();
        long bytes;

        Use(boolean reference, Entry start, String capture, long planned) {
            this.reference = reference;
            this.start = start;
            this.capture = capture;
            this.planned = planned;
            pendingBytes += planned;
        }

        /** The kept start tensor for batch {@code index} (offset, size), or null to start from the images. */
        INDArray startFor(int index, long offset, int n) {
            if (start == null || index >= start.values.size()) {
                return null;
            }
            long[] k = start.batchKeys.get(index);
            return k[0] == offset && k[1] == n ? start.values.get(index) : null;
        }

        /** Keeps the lent value of the capture tensor for batch (offset, n). */
        void keep(INDArray lent, long offset, int n) {
            INDArray kept = buffers.keep(lent);
            captured.add(kept);
            keys.add(new long[]{offset, n});
            bytes += kept.length() * kept.data().getElementSize();
        }

        /** After the pass: the captured tensor replaces the network's previous entry. */
        void finish(Network net, int batchSize) {
            pendingBytes -= planned;
            if (capture == null) {
                return;
            }
            Entry old = entries.remove(reference);
            release(old);
            entries.put(reference, new Entry(net, capture, upstream(net, capture), batchSize, List.copyOf(keys),
                    List.copyOf(captured), bytes));
            LOG.debug("activation cache: kept '{}' of the {} network ({} MiB)", capture,
                    reference ? "reference" : "current", bytes >> 20);
        }

        /** The pass failed: drop what it captured. */
        void abandon() {
            pendingBytes -= planned;
            captured.forEach(buffers::release);
            captured.clear();
        }
    }

    /**
     * Plans one sampling pass of {@code net}.
     *
     * @param reference whether {@code net} is the reference network (it never changes during the run)
     * @param net       the network sampled now
     * @param taps      the tensors sampled now
     * @param changing  nodes that the current layer step will change (ignored for the reference)
     * @param images    number of calibration images (negative when unknown: nothing is kept)
     * @param batchSize images per batch
     */
    Use plan(boolean reference, Network net, Collection<String> taps, Collection<String> changing, long images,
             int batchSize) {
        Entry old = entries.get(reference);
        Entry start = old != null && usable(old, net, taps, batchSize) ? old : null;
        if (old != null && start == null) {
            // not usable now, and later networks only change further: free it
            entries.remove(reference);
            release(old);
            old = null;
        }
        String capture = null;
        long planned = 0;
        if (images > 0 && budgetBytes > 0) {
            long others = pendingBytes;
            for (Map.Entry<Boolean, Entry> e : entries.entrySet()) {
                others += e.getValue().bytes;
            }
            capture = choose(net, taps, start == null ? null : start.tensor, reference ? Set.of() : changing,
                    budgetBytes - others, images, macsOf(net), minMacsPerByte);
            if (capture != null && start != null && capture.equals(start.tensor)) {
                capture = null;
            }
            if (capture != null) {
                planned = bytesFor(net, capture, images);
            }
        }
        return new Use(reference, start, capture, planned);
    }

    private void release(Entry e) {
        if (e != null) {
            e.values.forEach(buffers::release);
        }
    }

    private static boolean usable(Entry e, Network net, Collection<String> taps, int batchSize) {
        if (e.batchSize != batchSize) {
            return false;
        }
        if (net != e.network) {
            for (String name : e.upstream) {
                Node now = net.findNode(name).orElse(null);
                if (now != e.network.node(name)) {
                    return false;
                }
            }
        }
        return dominates(net, e.tensor, taps);
    }

    /** Whether every path from the network input to {@code taps} passes through {@code t}. */
    static boolean dominates(Network net, String t, Collection<String> taps) {
        Set<String> seen = new HashSet<>();
        List<String> stack = new ArrayList<>(taps);
        while (!stack.isEmpty()) {
            String x = stack.remove(stack.size() - 1);
            if (x.equals(t) || !seen.add(x)) {
                continue;
            }
            if (x.equals(net.input().name())) {
                return false;
            }
            stack.addAll(net.node(x).inputs());
        }
        return true;
    }

    /** The node names {@code t} depends on, itself included (empty for the network input). */
    static Set<String> upstream(Network net, String t) {
        Set<String> up = new HashSet<>();
        List<String> stack = new ArrayList<>(List.of(t));
        while (!stack.isEmpty()) {
            String x = stack.remove(stack.size() - 1);
            if (x.equals(net.input().name()) || !up.add(x)) {
                continue;
            }
            stack.addAll(net.node(x).inputs());
        }
        return up;
    }

    /** Multiply-adds per image of every node. */
    private static Map<String, Long> macsOf(Network net) {
        Map<String, Long> macs = new HashMap<>();
        for (LayerSize l : ModelSize.of(net).layers()) {
            macs.put(l.name(), l.macs());
        }
        return macs;
    }

    /**
     * The latest tensor that the pass from {@code start} (null: the input) to {@code taps} computes, that
     * dominates the taps and the network's outputs, depends on none of {@code changing}, fits in {@code budget} for all images and saves
     * at least {@code minMacsPerByte} multiply-adds per byte kept (the work of the nodes between the start
     * and it, which the next pass skips).
     */
    private static String choose(Network net, Collection<String> taps, String start, Collection<String> changing,
                                 long budget, long images, Map<String, Long> macs, long minMacsPerByte) {
        Set<String> computed = new HashSet<>();
        List<String> stack = new ArrayList<>(taps);
        while (!stack.isEmpty()) {
            String x = stack.remove(stack.size() - 1);
            if (x.equals(net.input().name()) || x.equals(start) || !computed.add(x)) {
                continue;
            }
            stack.addAll(net.node(x).inputs());
        }
        Map<String, int[]> shapes = net.shapes(1);
        String best = null;
        int bestIndex = -1;
        for (String t : computed) {
            int index = net.indexOf(t);
            if (index <= bestIndex) {
                continue;
            }
            long perImage = bytesFor(shapes.get(t), 1);
            // the tensor must also dominate the network's outputs: inside a residual block a tensor dominates this
            // step's taps but not the next block's (the shortcut bypasses it), and keeping it would send the next
            // step back to the images; a block's input or output serves both (in a chain every tensor qualifies)
            if (perImage * images > budget || !dominates(net, t, taps) || !dominates(net, t, net.outputs())) {
                continue;
            }
            Set<String> up = upstream(net, t);
            boolean stable = true;
            long saved = 0;
            for (String u : up) {
                if (changing.contains(u)) {
                    stable = false;
                    break;
                }
                if (computed.contains(u)) {
                    saved += macs.getOrDefault(u, 0L);
                }
            }
            if (stable && saved >= minMacsPerByte * perImage) {
                best = t;
                bestIndex = index;
            }
        }
        return best;
    }

    private static long bytesFor(Network net, String t, long images) {
        return bytesFor(net.shapes(1).get(t), images);
    }

    private static long bytesFor(int[] shape, long images) {
        long bytes = (long) Float.BYTES * images;
        for (int d : shape) {
            bytes *= d;
        }
        return bytes;
    }

    /** Frees every kept tensor and the buffers. */
    @Override
    public void close() {
        if (lastEngine != null) {
            lastEngine.close();
            lastEngine = null;
        }
        entries.values().forEach(this::release);
        entries.clear();
        buffers.close();
    }
}
