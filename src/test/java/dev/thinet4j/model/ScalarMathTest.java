package dev.thinet4j.model;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ScalarMathTest {

    /** Reference values of erf (Abramowitz and Stegun, table 7.1, and high-precision tables). */
    @Test
    void erfMatchesTabulatedValues() {
        double[][] table = {{0, 0}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
                {1.5, 0.9661051464753108}, {2, 0.9953222650189527}, {3, 0.9999779095030014},
                {3.9, 0.9999999652077514}, {4.5, 0.9999999998033839}, {6, 1.0}};
        for (double[] row : table) {
            assertEquals(row[1], ScalarMath.erf(row[0]), 1e-15, "erf(" + row[0] + ")");
            assertEquals(-row[1], ScalarMath.erf(-row[0]), 1e-15, "erf(-" + row[0] + ")");
        }
    }

    /** d/dx erf(x) = 2/√π·e^(−x²): a central difference of the function agrees. */
    @Property(tries = 200)
    void erfDerivativeIsTheGaussian(@ForAll @DoubleRange(min = -5, max = 5) double x) {
        double h = 1e-5;
        double numeric = (ScalarMath.erf(x + h) - ScalarMath.erf(x - h)) / (2 * h);
        assertEquals(2 / Math.sqrt(Math.PI) * Math.exp(-x * x), numeric, 1e-7);
    }
}
