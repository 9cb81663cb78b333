/**
 * Policies decide which convs are pruned and at what ratio ({@link dev.thinet4j.policy.PruningPolicy});
 * they never touch weights.
 */
package dev.thinet4j.policy;
