"""The ledger layout (台账): one row per person, the head first and the members below, one sheet per group.

The export writes these headers in this order; the importer recognises them and the other words cadres use for the
same column (`synonyms`, compared after removing spaces and punctuation). Keys are what the rest of the code
speaks of; headers stay Chinese in every language, since the workbook is a Chinese document.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class LedgerColumn:
    key: str
    header: str
    synonyms: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[LedgerColumn, ...] = (
    LedgerColumn("group", "组别", ("村民小组", "小组", "组", "组名", "所属小组", "村组")),
    LedgerColumn("household_number", "户号", ("户编号", "户籍编号", "家庭户号")),
    LedgerColumn("house_number", "门牌号", ("门牌", "门牌号码")),
    LedgerColumn("address", "家庭住址", ("住址", "地址", "现住址", "居住地址")),
    LedgerColumn("name", "姓名", ("名字", "户主姓名", "成员姓名", "人员姓名"), required=True),
    LedgerColumn("relationship", "与户主关系", ("关系", "与户主的关系", "家庭关系", "户主关系")),
    LedgerColumn("sex", "性别"),
    LedgerColumn("birth_date", "出生日期", ("出生年月", "出生年月日", "生日", "出生")),
    LedgerColumn(
        "id_number", "身份证号码", ("身份证号", "身份证", "公民身份号码", "证件号码", "身份证件号码")
    ),
    LedgerColumn("phones", "联系电话", ("电话", "手机", "手机号", "手机号码", "联系方式", "电话号码")),
    LedgerColumn("residence_status", "居住状态", ("现状", "在家情况", "是否在家", "人员状态", "状态")),
    LedgerColumn("flags", "人员类别", ("类别", "特殊人群", "标签", "人群类别", "重点人群")),
    LedgerColumn("notes", "备注", ("说明",)),
)

BY_KEY = {column.key: column for column in COLUMNS}
