//! The language of what people read: the terminal summary, the workbook and the HTML case file (`--lang zh|en`,
//! or `[locale] lang`; default English). The machine-readable outputs (JSON lines, CSV, Parquet, summary.json)
//! keep their English keys and texts whatever the language, so scheduled jobs never see them change.

use serde::Serialize;

/// A language of the reports people read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Self::En),
            "zh" | "zh-cn" | "zh_cn" | "chinese" | "中文" => Some(Self::Zh),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
        }
    }

    /// The label `key` in this language (the key itself, in English, when the table lacks it).
    pub fn label(self, key: &'static str) -> &'static str {
        match self {
            Self::En => LABELS
                .iter()
                .find(|(k, _, _)| *k == key)
                .map_or(key, |(_, en, _)| en),
            Self::Zh => LABELS
                .iter()
                .find(|(k, _, _)| *k == key)
                .map_or(key, |(_, _, zh)| zh),
        }
    }

    /// A column header or sheet name of the workbook in this language (the English one when the table lacks
    /// it).
    pub fn header(self, en: &str) -> &str {
        match self {
            Self::En => en,
            Self::Zh => HEADERS
                .iter()
                .find(|(k, _)| *k == en)
                .map_or(en, |(_, zh)| zh),
        }
    }

    /// A rule's name in this language (`code` itself when unknown).
    pub fn rule_name(self, code: &str, english: &'static str) -> &'static str {
        match self {
            Self::En => english,
            Self::Zh => RULES
                .iter()
                .find(|(c, _, _)| *c == code)
                .map_or(english, |(_, name, _)| name),
        }
    }

    /// A rule's one-line summary in this language.
    pub fn rule_summary(self, code: &str, english: &'static str) -> &'static str {
        match self {
            Self::En => english,
            Self::Zh => RULES
                .iter()
                .find(|(c, _, _)| *c == code)
                .map_or(english, |(_, _, summary)| summary),
        }
    }
}

/// (key, English, Chinese) of the labels the reports people read use.
pub const LABELS: &[(&str, &str, &str)] = &[
    ("summary", "Summary", "概况"),
    ("cases", "Cases", "案件"),
    ("case", "Case", "案件"),
    ("findings", "Findings", "疑点"),
    ("finding", "Finding", "疑点"),
    ("evidence", "Evidence", "证据"),
    ("hotspots", "Hotspots", "问题区域"),
    ("digit tests", "Digit tests", "数字分布检验"),
    ("data quality", "Data quality", "数据质量"),
    ("rules", "Rules", "审计规则"),
    ("rank", "Rank", "排名"),
    ("case id", "Case id", "案件编号"),
    ("score", "Score", "评分"),
    ("referral", "Referred", "移送"),
    ("referred", "referred", "移送"),
    ("reviewed", "Reviewed", "已核查"),
    ("severity", "Severity", "严重程度"),
    ("subjects", "Subjects", "涉及对象"),
    ("subject", "Subject", "对象"),
    ("amount at risk", "Amount at risk", "涉及金额"),
    ("payments", "Payments", "发放笔数"),
    ("payees", "Payees", "领取人数"),
    ("paid", "Paid", "发放金额"),
    ("explanation", "Explanation", "疑点说明"),
    ("rule", "Rule", "规则"),
    ("rule name", "Rule name", "规则名称"),
    ("region", "Region", "地区"),
    ("county", "County", "县"),
    ("township", "Township", "乡镇"),
    ("village", "Village", "村"),
    ("total", "Total", "合计"),
    ("level", "Level", "层级"),
    ("referrals", "Referrals", "移送案件"),
    (
        "findings per 10k payees",
        "Findings per 10,000 payees",
        "每万人疑点数",
    ),
    ("top rules", "Top rules", "主要规则"),
    ("txn id", "Transaction", "交易流水号"),
    ("pay date", "Pay date", "发放日期"),
    ("scheme", "Scheme", "补贴项目"),
    ("period", "Period", "期间"),
    ("payee id", "Payee id", "身份证号"),
    ("payee name", "Name", "姓名"),
    ("account", "Account", "账号"),
    ("amount", "Amount", "金额"),
    ("status", "Status", "状态"),
    ("officer", "Officer", "经办人"),
    ("rows read", "Rows read", "读取行数"),
    ("rows scanned", "Rows scanned", "扫描行数"),
    (
        "rows with problems",
        "Rows with data-quality problems",
        "数据质量问题行数",
    ),
    ("rules run", "Rules run", "已运行规则"),
    ("rule skipped", "Rule skipped", "未运行规则"),
    ("quality gate", "Data-quality gate", "数据质量门槛"),
    ("passed", "passed", "通过"),
    ("failed", "failed", "未通过"),
    ("yes", "yes", "是"),
    ("no", "no", "否"),
    ("flagged", "Flagged", "异常"),
    ("not testable", "Not testable", "不适用检验"),
    ("observed", "Observed", "实际"),
    ("expected", "Expected", "预期"),
    ("round sums", "Round sums by officer", "经办人整数金额占比"),
    (
        "money at risk by rule",
        "Money at risk by rule",
        "按规则统计的涉及金额",
    ),
    (
        "money at risk by region",
        "Money at risk by region",
        "按地区统计的涉及金额",
    ),
    (
        "more cases",
        "more cases in cases.csv",
        "个案件见 cases.csv",
    ),
    (
        "every region",
        "every region of every level in hotspots.csv",
        "各级地区明细见 hotspots.csv",
    ),
    ("outputs in", "outputs in", "输出目录"),
];

/// (English, Chinese) of the workbook's sheet names, section titles and column headers.
pub const HEADERS: &[(&str, &str)] = &[
    ("Summary", "概况"),
    ("Cases", "案件"),
    ("Findings", "疑点"),
    ("Evidence", "证据"),
    ("Hotspots", "问题区域"),
    ("Digit tests", "数字分布检验"),
    ("Data quality", "数据质量"),
    ("Rules", "审计规则"),
    (
        "Round-sum shares per officer (AMT003)",
        "经办人整数金额占比（AMT003）",
    ),
    ("Floods", "异常集中值"),
    ("Input files", "输入文件"),
    ("MAD", "平均绝对偏差"),
    ("account", "账号"),
    ("amounts", "金额笔数"),
    ("bytes", "字节"),
    ("case id", "案件编号"),
    ("case rank", "案件排名"),
    ("cases", "案件数"),
    ("chi2", "卡方"),
    ("column", "列"),
    ("county", "县"),
    ("default thresholds", "默认阈值"),
    ("exclude filter", "排除条件"),
    ("expected MAD", "预期平均绝对偏差"),
    ("expected share", "预期占比"),
    ("explanation", "疑点说明"),
    ("file", "文件"),
    ("finding", "疑点"),
    ("findings per 10k payees", "每万人疑点数"),
    ("findings", "疑点数"),
    ("flagged", "异常"),
    ("household", "户号"),
    ("item", "项目"),
    ("kind", "类型"),
    ("level", "层级"),
    ("message", "说明"),
    ("most over-represented digits", "偏多的数字"),
    ("name", "名称"),
    ("needs", "所需数据"),
    ("not tested because", "未检验原因"),
    ("note", "备注"),
    ("of", "总数"),
    ("officer", "经办人"),
    ("p value", "p 值"),
    ("paid a round sum", "领取整数金额人数"),
    ("pay date", "发放日期"),
    ("payee id as written", "身份证号（原样）"),
    ("payee id", "身份证号"),
    ("payee name", "姓名"),
    ("payees", "领取人数"),
    ("payments cited", "引用笔数"),
    ("payments", "发放笔数"),
    ("period", "期间"),
    ("problem", "问题"),
    ("q value", "q 值"),
    ("rank", "排名"),
    ("reason", "原因"),
    ("referral", "移送"),
    ("referrals", "移送案件"),
    ("region", "地区"),
    ("reviewed", "已核查"),
    ("row groups", "行组数"),
    ("rows excluded", "排除行数"),
    ("rows of amount 0", "金额为 0 的行数"),
    ("rows of negative amount", "负金额行数"),
    ("rows read", "读取行数"),
    ("rows scanned", "扫描行数"),
    ("rows undated", "无日期行数"),
    ("rows with problems", "问题行数"),
    ("rows", "行数"),
    ("rule name", "规则名称"),
    ("rule", "规则"),
    ("rules", "规则"),
    ("sample rows", "示例行"),
    ("scheme", "补贴项目"),
    ("score", "评分"),
    ("section", "部分"),
    ("severity", "严重程度"),
    ("sha256", "SHA-256"),
    ("share", "占比"),
    ("status", "状态"),
    ("subject kind", "对象类型"),
    ("subject", "对象"),
    ("subjects", "涉及对象"),
    ("summary", "说明"),
    ("test", "检验"),
    ("top rules", "主要规则"),
    ("township", "乡镇"),
    ("txn id", "交易流水号"),
    ("txn ids", "交易流水号"),
    ("unit", "单位"),
    ("value", "值"),
    ("amount", "金额"),
    ("amount at risk", "涉及金额"),
    ("paid", "发放金额"),
];

/// (code, Chinese name, Chinese summary) of every rule.
pub const RULES: &[(&str, &str, &str)] = &[
    (
        "AMT001",
        "应发金额不符",
        "发放金额低于应发标准（克扣）、高于标准（虚增）或超过期间上限",
    ),
    (
        "AMT002",
        "拆分发放",
        "数日内向同一账户多笔发放，每笔略低于审批限额，合计达到限额",
    ),
    (
        "AMT003",
        "整数金额集中",
        "经办人或村的领取人获得整数金额的比例远高于其他地区同类项目",
    ),
    (
        "AMT004",
        "经办人账户集中",
        "经办人经手的资金集中流入少数账户，远超本县其他经办人",
    ),
    (
        "DIG001",
        "首两位数字异常",
        "县、乡镇或经办人的发放金额首两位数字分布偏离本福特定律",
    ),
    (
        "DIG002",
        "金额重复",
        "县、乡镇或经办人向远多于其他金额的领取人发放同一精确金额",
    ),
    (
        "DIG003",
        "相对大小因子",
        "领取人某项目的最大一笔发放是第二大一笔的许多倍",
    ),
    (
        "DIG004",
        "末两位数字异常",
        "县、乡镇或经办人的发放金额末两位数字远非均匀分布",
    ),
    (
        "DUP001",
        "重复发放",
        "同一领取人同一项目同一期间的发放次数超过项目规定",
    ),
    (
        "DUP002",
        "一人多卡",
        "同一领取人同一项目同一期间的资金发放到两个以上账户",
    ),
    (
        "DUP003",
        "多人一卡",
        "同一账户收取多名不同领取人的补贴（同一户计为一人）",
    ),
    (
        "DUP004",
        "跨地区重复发放",
        "同一领取人同一项目同一期间由两个以上地区发放",
    ),
    (
        "DUP005",
        "一人多名",
        "同一人以两个以上身份领取：同音或异体姓名、相近证号、另一村",
    ),
    (
        "GHO001",
        "身份证号无效",
        "向不符合 GB 11643-1999 的身份证号发放",
    ),
    (
        "GHO002",
        "未在册",
        "领取人不在花名册、由未登记其的地区发放或姓名不符",
    ),
    (
        "GHO003",
        "死亡后发放",
        "在民政死亡登记日期后超过宽限期仍发放",
    ),
    ("GHO004", "年龄不符", "向年龄不符合项目年龄条件的领取人发放"),
    (
        "GHO005",
        "账号异常",
        "发放到长度或字符不可能、或未通过 Luhn 校验的账号",
    ),
    ("INS001", "公职人员领取", "公职人员（含村干部）领取补贴"),
    (
        "INS002",
        "亲属领取",
        "公职人员的亲属（relative_of 或同户）领取补贴",
    ),
    (
        "INS003",
        "公职人员账户收款",
        "他人的补贴发放到公职人员或其亲属的账户",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_and_label_has_both_languages() {
        for e in crate::rules::registry() {
            let code = e.meta.code;
            assert!(RULES.iter().any(|(c, _, _)| *c == code), "{code}");
            assert_ne!(Lang::Zh.rule_name(code, e.meta.name), e.meta.name, "{code}");
            assert_eq!(Lang::En.rule_name(code, e.meta.name), e.meta.name);
        }
        assert_eq!(RULES.len(), crate::rules::registry().len());
        for (k, en, zh) in LABELS {
            assert!(!en.is_empty() && !zh.is_empty(), "{k}");
            assert_eq!(Lang::En.label(k), *en);
            assert_eq!(Lang::Zh.label(k), *zh);
        }
        assert_eq!(Lang::parse("ZH"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
