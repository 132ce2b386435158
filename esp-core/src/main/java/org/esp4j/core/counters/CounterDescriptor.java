package org.esp4j.core.counters;

/**
 * A global counter with an explicit, stable id and label, as aeron-driver's {@code SystemCounterDescriptor}: the
 * id is the Agrona counter's 4-byte key and the label its label, which is what a reader of the counters file
 * ({@code esp4j stat --counters}, any Agrona {@code CountersReader}) sees beside the set's type id.
 * <h2>Stability</h2>
 * Within one type id an id names one counter for good: ids are never reused, not even after the counter is removed
 * or moved to another set (its id is then listed as retired), and a label never changes. Enum order and constant names
 * are free to change; {@link CounterDescriptors#checkIds} refuses a set with a duplicate or retired id.
 */
public interface CounterDescriptor
{
    /** @return the counter's id within its set (the Agrona key), never reused. */
    int id();

    /** @return the counter's label in the counters file, never changed. */
    String label();
}
