package dev.thinet4j.training;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.testing.TestNets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.thinet4j.training.OpGradientCheck.Values;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Float64 gradient checks ({@link OpGradientCheck}, the tolerance of {@link GradientCheckTest}) on random
 * shapes and seeds: NumPy broadcasting of {@link Op.Binary} (random ranks, random length-1 axes on either
 * side, missing leading axes; always including the SE gate, spatial gate, rank-2 and channels-last
 * patterns), LayerNorm over a random axis, ReduceMean over random axes, ChannelShuffle and Transpose; and
 * that ChannelShuffle's forward is the declared channel permutation.
 */
class NewOpsGradientPropertyTest {
    private static final int PER_TENSOR = 12;

    private static void check(String what, OpGradientCheck.Result r) {
