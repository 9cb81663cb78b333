package dev.thinet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class BatchTest {

    private static Batch sample() {
        float[] v = new float[2 * 3 * 2 * 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        return new Batch(v, 2, 3, 2, 2, new int[]{4, 5}, 10);
    }

    @Test
    void accessorsUseNchwRowMajor() {
        Batch b = sample();
        assertEquals(12, b.imageSize());
        assertArrayEquals(new long[]{2, 3, 2, 2}, b.shape());
        assertEquals(12 + 2 * 4 + 1 * 2 + 1, b.get(1, 2, 1, 1));
        assertArrayEquals(new float[]{12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, b.image(1));
        assertEquals(5, b.label(1));
        Batch s = b.slice(1, 1);
        assertEquals(11, s.offset());
        assertArrayEquals(b.image(1), s.images());
        assertArrayEquals(new int[]{5}, s.labels());
        assertThrows(IndexOutOfBoundsException.class, () -> b.get(2, 0, 0, 0));
        assertThrows(IllegalStateException.class, () -> new Batch(new float[1], 1, 1, 1, 1, null, 0).label(0));
    }

    @Test
    void shapeIsValidated() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Batch(new float[5], 1, 1, 2, 2, null, 0))
                .getMessage().contains("needs 4 values, got 5"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new Batch(new float[4], 1, 1, 2, 2, new int[2], 0)).getMessage().contains("has 2 labels"));
    }

    @Test
    void toINDArrayCopiesIntoNchwFloat() {
        Batch b = sample();
        try (INDArray a = b.toINDArray(); INDArray l = b.labelsToINDArray()) {
            assertEquals(DataType.FLOAT, a.dataType());
            assertArrayEquals(new long[]{2, 3, 2, 2}, a.shape());
            assertEquals(b.get(1, 2, 1, 0), a.getFloat(1, 2, 1, 0));
            assertEquals(b.get(0, 1, 0, 1), a.getFloat(0, 1, 0, 1));
            assertArrayEquals(new int[]{4, 5}, l.toIntVector());
        }
    }
}
