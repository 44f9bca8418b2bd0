from marketplace.management.commands.seed_demo import PATTERNS
from stylization.engine.feedforward import demo_training_bases, training_bases
from stylization.engine.patterns import (
    DEMO_CATALOGUE_PATTERNS,
    GENERATED_TRAINING_PATTERNS,
    PATTERN_KINDS,
    TRAINING_PATTERNS,
)
from stylization.engine.repeat import REPEAT_TYPES
from tests.benchmarks.stylization import HELD_OUT_SEEDS, VECTOR_SEEDS


def test_the_models_never_train_on_a_pattern_the_bench_judges_them_on():
    training_seeds = {spec.seed for spec in TRAINING_PATTERNS}

    assert training_seeds.isdisjoint(HELD_OUT_SEEDS)
    assert training_seeds.isdisjoint(VECTOR_SEEDS)


def test_the_generated_training_patterns_cover_every_kind_and_every_repeat():
    assert {spec.kind for spec in GENERATED_TRAINING_PATTERNS} == set(PATTERN_KINDS)
    assert {spec.repeat for spec in GENERATED_TRAINING_PATTERNS} == set(REPEAT_TYPES)
    assert len({spec.seed for spec in TRAINING_PATTERNS}) == len(TRAINING_PATTERNS)


def test_the_demo_catalogue_lists_the_products_patterns_in_its_order():
    listed = [(repeat, kind, seed) for _designer, _title, repeat, kind, seed, _tags in PATTERNS]

    assert listed == [(spec.repeat, spec.kind, spec.seed) for spec in DEMO_CATALOGUE_PATTERNS]


def test_training_bases_are_the_catalogues_patterns_then_the_generated_ones():
    bases = training_bases(32)
    generated = demo_training_bases(32)

    assert [b.repeat for b in bases] == [spec.repeat for spec in TRAINING_PATTERNS]
    first = DEMO_CATALOGUE_PATTERNS[0]
    assert bases[0].image.tobytes() == first.generate(32).tobytes()
    assert [b.image.tobytes() for b in bases[len(DEMO_CATALOGUE_PATTERNS) :]] == [
        b.image.tobytes() for b in generated
    ]
