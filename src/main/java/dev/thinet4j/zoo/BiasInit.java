package dev.thinet4j.zoo;

/** How convolution biases (where a layer has one, as in VGG) are initialised. */
public enum BiasInit {
    /** All zero, as torchvision initialises VGG's convolutions. */
    ZERO,
    /** U[−1/√fan_in, 1/√fan_in] with fan_in = C_in/groups·k_h·k_w, PyTorch's default for {@code nn.Conv2d}. */
    UNIFORM
}
