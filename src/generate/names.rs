//! Static tables: Chinese surnames and given-name characters grouped by pronunciation (so a homophone variant
//! of a name can be written, 张伟 / 章玮), province codes, bank card prefixes and official roles.

/// Surnames, each group sharing one pinyin. The first character of a group is the common spelling.
pub const SURNAMES: &[&str] = &[
    "王汪", "李黎", "张章", "刘柳", "陈臣", "杨阳", "黄皇", "赵照", "吴武", "周舟", "徐许", "孙",
    "马", "朱", "胡", "郭", "何和", "林琳", "罗", "高", "郑", "梁", "谢", "宋", "唐", "韩", "冯",
    "于余", "董", "萧肖", "程成", "曹", "袁", "邓", "傅付", "沈", "曾", "彭", "吕", "苏",
];

/// Given-name characters, grouped by pinyin; most groups have homophones.
pub const GIVEN: &[&str] = &[
    "伟玮纬",
    "芳方",
    "敏民",
    "静婧",
    "丽莉",
    "强蔷",
    "磊垒",
    "军君",
    "洋阳",
    "勇永",
    "杰洁",
    "娟鹃",
    "涛韬",
    "明鸣",
    "超朝",
    "秀绣",
    "霞侠",
    "平萍",
    "刚钢",
    "桂贵",
    "英鹰",
    "华骅",
    "玉钰",
    "兰岚",
    "凤奉",
    "建健",
    "国",
    "福富",
    "荣蓉",
    "文雯",
    "志智",
    "海",
    "红虹",
    "春椿",
    "梅玫",
    "珍真",
    "云芸",
    "成诚",
    "林琳",
    "金今",
    "德",
    "宝",
];

/// Real province-level codes (2 digits).
pub const PROVINCES: &[u32] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65,
];

/// Bank card number prefixes (issuer identification numbers of large Chinese banks).
pub const CARD_PREFIXES: &[&str] = &[
    "622848", "621700", "623052", "622202", "621799", "622700", "621226", "622188",
];

/// Roles of village officials (cadres).
pub const ROLES: &[&str] = &["村支书", "村主任", "会计", "文书"];

/// The characters of pinyin group `g` of a table.
pub fn group(table: &[&'static str], g: usize) -> Vec<char> {
    table[g % table.len()].chars().collect()
}

/// The index of the group a character belongs to in `table`, if any.
pub fn group_of(table: &[&str], c: char) -> Option<usize> {
    table.iter().position(|g| g.contains(c))
}
