"""The main job's demo trains: its loss falls and it separates the two moons."""

from lessons.__main__ import main


def test_demo_network_learns_the_two_moons(capsys):
    main(steps=200)
    lines = capsys.readouterr().out.splitlines()
    first, last = (float(line.split()[3]) for line in (lines[0], lines[-1]))
    assert last < first / 5, f"loss went from {first} to {last}"
