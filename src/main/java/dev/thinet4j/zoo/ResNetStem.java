package dev.thinet4j.zoo;

/** The layers of a ResNet before its first residual stage. */
public enum ResNetStem {
    /** 7×7 conv stride 2 pad 3 → BN → ReLU → 3×3 max pool stride 2 pad 1 (the ImageNet ResNet). */
    IMAGENET,
    /** 3×3 conv stride 1 pad 1 → BN → ReLU, no pooling (for small images such as 28×28 or 32×32). */
    SMALL
}
