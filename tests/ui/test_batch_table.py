"""The batch table: a checked Qt model over the draft, typed cells, paste, CSV, run count."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from composer.core.draft import Draft
from composer.ui.batch_model import BatchTableModel
from composer.ui.binding import DraftBinding
from composer.ui.main_window import MainWindow

GRID = {"model_id": "m", "batch_input_params": {"prompt": ["fox", "owl", "koi"], "seed": [1, 2]}}


def params(window: MainWindow) -> dict[str, list[object]]:
    return dict(window.binding.draft.body["batch_input_params"])


def test_the_model_passes_qtmodeltester(qtmodeltester: ModelTester, qapp: object) -> None:
    binding = DraftBinding(Draft(GRID))
    model = BatchTableModel(binding)
    qtmodeltester.check(model, force_py=True)
    assert (model.rowCount(), model.columnCount()) == (4, 2)  # 3 values + the append row
    model.set_cell(2, 1, "3")
    model.set_cell(0, 0, '"42"')
    binding.draft.replace({"model_id": "m"})  # unset: no columns
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 0 and model.columnCount() == 0


def test_cells_are_typed_and_edits_reach_the_draft(window: MainWindow) -> None:
    window.binding.draft.replace(GRID)
    model = window.form.batch.model
    assert model.data(model.index(0, 1)) == "1"
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ToolTipRole) == "integer"
    assert not model.setData(model.index(3, 1), "9")  # past the end of "seed": refused
    assert not model.flags(model.index(3, 1)) & Qt.ItemFlag.ItemIsEditable
    assert model.setData(model.index(2, 1), "3.5")  # the append cell of "seed"
    assert model.setData(model.index(1, 0), '"42"')  # quoted: text
    assert model.setData(model.index(0, 0), "true")
    assert params(window) == {"prompt": [True, "42", "koi"], "seed": [1, 2, 3.5]}
    assert model.setData(model.index(1, 0), "")  # emptied: the value is removed
    assert params(window)["prompt"] == [True, "koi"]
    window.binding.settle_now()
    assert window.form.batch.count.text() == "2 x 3 = 6 runs"


def test_structure_edits_and_run_count(window: MainWindow) -> None:
    batch = window.form.batch
    window.binding.draft.replace({"model_id": "m", "inputs": {"seed": 7}})
    assert batch.empty.isVisibleTo(window) and not batch.view.isVisibleTo(window)
    batch.add_batch.click()
    assert params(window) == {"seed": [7]}
    assert batch.view.isVisibleTo(window)
    name = batch.add_column()
    assert params(window) == {"seed": [7], name: []}
    window.binding.settle_now()
    assert "zero runs" in batch.notes.text()
    assert batch.count.text() == "1 x 0 = 0 runs"
    assert batch.rename_column(1, "prompt")
    assert not batch.rename_column(0, "prompt")  # taken
    batch.model.set_cell(0, 1, "fox")
    batch.model.set_cell(1, 0, "8")
    batch.model.remove_rows([0])
    assert params(window) == {"seed": [8], "prompt": []}
    batch.remove_batch()
    assert "batch_input_params" not in window.binding.draft.body
    window.binding.draft.undo()
    assert params(window) == {"seed": [8], "prompt": []}


def test_paste_a_spreadsheet_block(window: MainWindow) -> None:
    batch = window.form.batch
    window.binding.draft.replace({"model_id": "m"})
    batch.add_batch.click()
    window.binding.draft.replace({"model_id": "m", "batch_input_params": {}})
    # Into an empty table the first row names the columns.
    QGuiApplication.clipboard().setText("prompt\tseed\nfox\t1\nowl\t2\n")
    batch.paste_clipboard()
    assert params(window) == {"prompt": ["fox", "owl"], "seed": [1, 2]}
    # Into a table: values land at the current cell, a copied header row is skipped.
    batch.paste_text("seed\n3\n4\n", row=2, column=1)
    assert params(window)["seed"] == [1, 2, 3, 4]
    batch.paste_text('a,"b, with comma"\n', row=0, column=2)  # CSV, new column
    assert params(window)["column_3"] == ["a"]
    assert params(window)["column_4"] == ["b, with comma"]
    window.binding.draft.undo()
    assert "column_3" not in params(window)  # one paste, one undo step


def test_pasting_garbage_says_why(window: MainWindow) -> None:
    batch = window.form.batch
    window.binding.draft.replace({"model_id": "m", "batch_input_params": {}})
    messages: list[str] = []
    batch.message.connect(messages.append)
    batch.paste_text("a,a\n1,2\n")
    assert messages[-1] == "Cannot paste: Column names must be unique: a"
    batch.paste_text("   \n")
    assert messages[-1].startswith("Nothing to paste")
    assert params(window) == {}


def test_large_paste_is_parsed_in_slices(window: MainWindow, qtbot: QtBot) -> None:
    batch = window.form.batch
    window.binding.draft.replace({"model_id": "m", "batch_input_params": {"seed": [0]}})
    rows = "\n".join(f"{i}\tprompt {i}" for i in range(5000))
    batch.paste_text(rows, row=0, column=0)
    assert batch.pasting  # not finished in one go
    qtbot.waitUntil(lambda: not batch.pasting, timeout=5000)
    values = params(window)
    assert values["seed"][:3] == [0, 1, 2] and len(values["seed"]) == 5000
    assert values["column_2"][-1] == "prompt 4999"


def test_csv_import_and_export(window: MainWindow, tmp_path: Path) -> None:
    batch = window.form.batch
    window.binding.draft.replace({"model_id": "m", "batch_input_params": {}})
    source = tmp_path / "grid.csv"
    source.write_text('prompt,seed\n"a fox, running",1\nowl,"2"\n,3\n', encoding="utf-8")
    assert batch.import_csv(source)
    assert params(window) == {"prompt": ["a fox, running", "owl"], "seed": [1, 2, 3]}
    target = tmp_path / "out.csv"
    assert batch.export_csv(target)
    assert target.read_text(encoding="utf-8") == 'prompt,seed\n"a fox, running",1\nowl,2\n,3\n'
    broken = tmp_path / "broken.csv"
    broken.write_text("a,b\n1,2,3\n", encoding="utf-8")
    messages: list[str] = []
    batch.message.connect(messages.append)
    assert not batch.import_csv(broken)
    assert messages[-1] == "Cannot import broken.csv: Line 2 has 3 cells but the header names 2"
    assert params(window)["seed"] == [1, 2, 3]  # the table is kept


def test_a_wrong_type_in_a_cell_is_marked_there(window: MainWindow) -> None:
    from composer.core.catalogue import InputSpec, ModelInfo

    seed = InputSpec(input_id="seed", class_type="ComfyUIDeployExternalSeed")
    window.catalogue.models = [ModelInfo(id="flux-dev", inputs=[seed])]
    window.catalogue.changed.emit()
    window.binding.draft.replace(
        {"model_id": "flux-dev", "batch_input_params": {"seed": [1, "two", 3, None]}}
    )
    window.binding.settle_now()
    model = window.form.batch.model
    assert sorted(model.cell_problems) == [(1, 0), (3, 0)]
    tip = model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole)
    assert "seed is declared as a whole number" in tip
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert "null cannot be an input value" in window.form.batch.notes.text()
