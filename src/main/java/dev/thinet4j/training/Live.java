package dev.thinet4j.training;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Named arrays of one pass (activations or gradients) with reference counts per memory block, so that an
 * array and its views or aliases are freed once, when the last name using the memory is released.
 * Blocks registered as external (the caller's input) are never closed.
 */
final class Live {
    private static final class Block {
        final INDArray owner;
        final boolean external;
        int refs;

        Block(INDArray owner, boolean external) {
            this.owner = owner;
            this.external = external;
        }
    }

    private final Map<String, INDArray> arrays = new HashMap<>();
    private final Map<DataBuffer, Block> blocks = new IdentityHashMap<>();

    void put(String name, INDArray a, boolean external) {
        if (arrays.containsKey(name)) {
            throw new IllegalStateException("tensor '" + name + "' is already live");
        }
        DataBuffer key = Nd.storage(a);
        Block b = blocks.get(key);
        if (b == null) {
            b = new Block(a, external);
            blocks.put(key, b);
        }
        b.refs++;
        arrays.put(name, a);
    }

    INDArray get(String name) {
        return arrays.get(name);
    }

    boolean contains(String name) {
        return arrays.containsKey(name);
    }

    boolean isTracked(INDArray a) {
        return blocks.containsKey(Nd.storage(a));
    }

    /**
     * Adds {@code g} to the array under {@code name}, or registers it when there is none. In place when the
     * existing array is the sole user of its memory; {@code g} is freed afterwards unless other names use it.
     */
    void accumulate(String name, INDArray g) {
        INDArray e = arrays.get(name);
        if (e == null) {
            put(name, g, false);
            return;
        }
        Block eb = blocks.get(Nd.storage(e));
        boolean gTracked = isTracked(g);
        if (eb.refs == 1 && eb.owner == e && !eb.external && !Nd.sameStorage(e, g)) {
            e.addi(g);
        } else {
            INDArray sum = e.add(g);
            release(name);
            put(name, sum, false);
        }
        if (!gTracked) {
            Nd.close(g);
        }
    }

    void release(String name) {
        INDArray a = arrays.remove(name);
        if (a == null) {
            return;
        }
        DataBuffer key = Nd.storage(a);
        Block b = blocks.get(key);
        if (--b.refs == 0) {
            blocks.remove(key);
            if (!b.external) {
                Nd.close(b.owner);
            }
        }
    }

    void releaseAll() {
        for (String name : new ArrayList<>(arrays.keySet())) {
            release(name);
        }
    }
}
