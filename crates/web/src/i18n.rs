//! Interface strings in Chinese (default) and English. Every key used by a template must be
//! in [`TABLE`]; a test reads the templates and fails on a missing or unused key.

use tandem_domain::Lang;

/// Looks up interface strings in one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn s(&self, key: &str) -> &'static str {
        match TABLE.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => self.0.pick(zh, en),
            None => {
                tracing::warn!(key, "missing interface string");
                "?"
            }
        }
    }

    pub fn lang(&self) -> &'static str {
        self.0.code()
    }

    pub fn other_lang(&self) -> &'static str {
        match self.0 {
            Lang::Zh => "en",
            Lang::En => "zh",
        }
    }
}

/// (key, Chinese, English)
pub const TABLE: &[(&str, &str, &str)] = &[
    ("nav_dashboard", "热力图", "Heat map"),
    ("heat_map", "公司热力图", "Company heat map"),
    (
        "heat_map_help",
        "每个部门一格：颜色是部门及其成员目标的平均整体进度，圆点是各颜色的目标数；点击进入该部门的目标树。",
        "One tile per unit: the colour is the mean progress of the goals of the unit and its people, the dots count goals per colour; click to open the unit's goal tree.",
    ),
    ("red_lights", "红灯预警", "Red lights"),
    ("acknowledged", "已确认", "acknowledged"),
    ("diverges", "需复核：KPI 达标而目标停滞", "Review: KPI passes, goal stalls"),
    (
        "diverges_help",
        "这个 KPI 连续达标，但它来源的关键结果落后于进度",
        "This KPI keeps passing while the key result it serves lags behind pace",
    ),
    ("forecast", "预测", "forecast"),
    ("expected", "应达", "expected"),
    ("confidence_short", "信心", "confidence"),
    ("at_risk", "有风险", "At risk"),
    ("disagrees", "信心与数据不符", "Confidence ≠ data"),
    (
        "disagrees_help",
        "自评信心与按数据预测的结果相差很大",
        "Self-reported confidence is far from what the data forecasts",
    ),
    ("latest_value", "最新", "Latest"),
    ("no_value_yet", "暂无数据", "No value yet"),
    ("owed_title", "本周待办：打卡与KPI填报", "Owed this week: check-ins and KPI values"),
    ("owed_period", "待填报", "missing"),
    ("stale_days", "多少天没数据算过期", "Late after (days)"),
    ("aggregation", "取值方式", "Aggregation"),
    ("unbind", "解除绑定", "Unbind"),
    ("bind_metric", "绑定数据指标", "Bind to a metric"),
    ("no_data_yet", "暂无数据", "no data yet"),
    ("private_subject", "（你无权查看的对象）", "(something you may not see)"),
    ("received", "接收于", "received"),
    ("provenance", "来源", "Source"),
    ("point_time", "时间", "Time"),
    ("no_points", "还没有数据点。", "No points yet."),
    ("points_private", "数据点仅管理员和 HR 可见。", "Points are visible to admins and HR."),
    ("points_total", "共", "total"),
    ("latest_points", "最新数据点", "Latest points"),
    (
        "push_example",
        "每个点带上 external_id，整批带上 Idempotency-Key，重发就不会重复；任何一个点有误，整批都不写入。",
        "Give each point an external_id and the batch an Idempotency-Key, and a resend changes nothing; one bad point rejects the whole batch.",
    ),
    (
        "how_data_arrives_help",
        "用只能推送数据的 API 令牌调用 POST /api/v1/metrics/{id}/points，每次最多 10,000 个点；重复发送不会重复记录。",
        "Call POST /api/v1/metrics/{id}/points with an ingestion-only API token, up to 10,000 points a call; resending records nothing twice.",
    ),
    ("how_data_arrives", "数据如何进来", "How data arrives"),
    ("new_metric", "新建指标", "New metric"),
    (
        "not_bound_help",
        "还没有关键结果或 KPI 绑定这个指标。在目标页的关键结果或 KPI 看板上可以绑定。",
        "No key result or KPI is bound to it yet. Bind one from its objective page or the KPI board.",
    ),
    ("not_bound", "尚未绑定", "not bound"),
    ("feeds", "供给", "Feeds"),
    ("last_data", "最新数据", "Latest data"),
    ("metric_name_ph", "例如：门店日销售额", "e.g. daily store revenue"),
    ("metric_name", "指标名称", "Metric"),
    (
        "metrics_empty",
        "还没有数据指标。管理员可以在右侧新建一个，然后用接口推送数据。",
        "No metrics yet. An admin creates one on the right, then pushes data through the API.",
    ),
    (
        "metrics_help",
        "业务数据自动流入：指标的数据点通过接口推送（以后还有文件导入和定时拉取），绑定的关键结果和 KPI 会自动更新，并注明数据来源。",
        "Business data flows in by itself: points are pushed through the API (file import and scheduled pulls come later); bound key results and KPIs update themselves and say where each value came from.",
    ),
    ("metrics_title", "数据指标", "Metrics"),
    ("nav_metrics", "数据", "Data"),
    ("bound_to", "数值自动来自指标", "Value flows in from the metric"),
    ("agg_latest", "取最新值", "latest value"),
    ("agg_sum", "周期内求和", "sum over the period"),
    ("agg_mean", "周期内平均", "mean over the period"),
    ("agg_min", "周期内最小值", "minimum over the period"),
    ("agg_max", "周期内最大值", "maximum over the period"),
    ("agg_count", "周期内计数", "count over the period"),
    ("data_stale", "数据未按时到达", "data is late"),
    ("from_metric", "来自指标 #", "from metric #"),
    ("token_scope", "权限范围", "Scope"),
    ("scope_full", "完整（代表我）", "Full (acts as me)"),
    ("scope_ingest", "仅推送指标数据", "Push metric data only"),
    (
        "no_cycles",
        "还没有周期。先由 HR 或管理员在「周期」页建立一个季度（或月度）周期，再来设定目标。",
        "There are no cycles yet. HR or an admin first creates a quarter (or month) on the Cycles page; then goals can be set.",
    ),
    ("go_cycles", "去建立周期 →", "Create a cycle →"),
    (
        "heat_org_empty",
        "还没有组织架构。管理员在「组织架构」页添加部门，或在「人员」页导入组织架构 CSV 后，这里会按部门显示进度。",
        "No org chart yet. Once an admin adds units on the Org chart page (or imports a CSV on People), progress shows here by unit.",
    ),
    ("weekly_check_in", "整体打卡：一次更新所有关键结果", "Check in on the whole objective"),
    (
        "weekly_check_in_help",
        "填写本周有变化的关键结果，留空的保持不变；所有数值一起保存，任何一项有误则都不保存。",
        "Fill in the key results that moved this week; blank ones stay as they are. All values are saved together, or none if one is wrong.",
    ),
    (
        "no_red_lights",
        "目前没有红灯。预测落入红区、KPI 未达标或 14 天未打卡时会在这里出现。",
        "No red lights. They appear here when a forecast turns red, a KPI fails, or a key result has no check-in for 14 days.",
    ),
    (
        "red_lights_help",
        "你有权查看的：自己的、下属的（HR 可见全部 KPI 预警）",
        "those you may see: yours and your reports' (HR sees every KPI alert)",
    ),
    (
        "ack_note_ph",
        "正在采取什么措施？例如：本周增加一名高峰兼职",
        "What is being done? e.g. one more part-timer at peak hours",
    ),
    ("acknowledge", "确认并说明措施", "Acknowledge"),
    ("subject", "对象", "Subject"),
    ("state", "状态", "State"),
    ("since", "触发时间", "Raised"),
    ("open", "待处理", "Open"),
    ("trend", "走势", "Trend"),
    ("value", "数值", "Value"),
    ("period", "周期", "Period"),
    ("record_value", "填报本期数值", "Record this period's value"),
    ("chart_value", "实际值", "Value"),
    ("chart_pace", "进度线", "Pace"),
    ("recent_check_ins", "最近打卡", "Recent check-ins"),
    ("edit_check_in", "修改（30 分钟内）", "Correct (within 30 minutes)"),
    (
        "no_check_ins_yet",
        "还没有打卡。每周更新一次数值和信心指数，进度和预测会自动计算。",
        "No check-ins yet. Update the value and your confidence weekly; progress and the forecast follow.",
    ),
    ("trend_weeks", "近 10 周综合得分走势", "Roll-up over the last 10 weeks"),
    ("check_in", "打卡更新", "Check in"),
    ("new_value", "最新数值", "New value"),
    ("confidence", "信心（0–10）", "Confidence (0–10)"),
    ("q_progress", "本周进展", "Progress this week"),
    ("q_blockers", "遇到的阻碍", "Blockers"),
    ("q_help", "需要的帮助", "Help needed"),
    ("submit_check_in", "提交", "Submit"),
    ("from_library", "从指标库选择（可选）", "From the KPI library (optional)"),
    ("shared_with", "与其他部门共同承担（可选）", "Shared with another unit (optional)"),
    ("not_shared", "（不共担）", "(not shared)"),
    ("their_share", "对方占比 %", "Their share %"),
    ("tree_as_of", "目标树的历史版本，截至", "The goal tree as it stood at the end of"),
    ("back_to_now", "回到现在", "back to now"),
    ("as_of", "历史版本", "As of a date"),
    ("changed_since", "此后的变化", "Changed since"),
    ("no_changes", "此后没有变化。", "Nothing changed since."),
    ("not_yet", "那一天这个目标还不存在。", "The objective did not exist yet on that day."),
    ("edit_objective", "编辑目标", "Edit objective"),
    ("description", "说明", "Description"),
    ("supports", "横向支持（其他团队的目标）", "Supports (other teams' objectives)"),
    ("comments", "讨论", "Discussion"),
    (
        "no_comments",
        "还没有讨论。OKR 是公开的，欢迎提出建议或提供支持。",
        "No discussion yet. OKRs are public: suggest, ask, or offer help.",
    ),
    ("comment_ph", "写下你的建议或能提供的支持…", "A suggestion, a question, or help you can offer…"),
    ("post_comment", "发表", "Post"),
    ("kpi_library", "KPI 指标库", "KPI library"),
    (
        "kpi_library_help",
        "HR 按岗位族维护的 KPI 模板，主管为团队设定 KPI 时可以直接参照。",
        "KPI templates HR keeps per job family, for managers setting their team's KPIs.",
    ),
    ("no_templates", "指标库还是空的。", "The library is empty."),
    ("job_family", "岗位族", "Job family"),
    ("add_template", "添加模板", "Add a template"),
    ("remove", "删除", "Remove"),
    ("library_hr_only", "指标库由 HR 维护。", "HR keeps the library."),
    ("upstream_changes", "上游变更", "Upstream changes"),
    (
        "no_upstream_changes",
        "你的目标对齐的上级目标、你的 KPI 来源的关键结果，自设定以来都没有变更。",
        "Nothing your objectives align to or your KPIs derive from has changed since you set them.",
    ),
    ("derive_kpi", "派生 KPI", "Derive a KPI"),
    ("kpi_for", "指派给", "For"),
    ("derive_kpi_ph", "例如：顾客等待时间不超过3分钟", "e.g. Customer waiting time at most 3 minutes"),
    ("direction", "方向", "Direction"),
    ("higher_better", "越高越好", "Higher is better"),
    ("lower_better", "越低越好", "Lower is better"),
    ("create_aligned", "创建对齐到此的目标", "Create an aligned objective"),
    ("change_requests", "KPI 变更申请", "KPI change requests"),
    (
        "change_requests_help",
        "周期开始后 KPI 锁定，任何调整都需写明原因并由 HR 审批；批准后自动生效并记入变更记录。",
        "Once the cycle runs, KPIs are locked: a change needs a reason and HR's approval, and is applied and recorded when approved.",
    ),
    ("no_change_requests", "暂无变更申请。", "No change requests."),
    ("requested_change", "申请的变更", "Requested change"),
    ("requested_by", "申请人", "requested by"),
    ("change_reason", "原因", "Reason"),
    ("decision_note", "审批意见（可选）", "Note (optional)"),
    ("approve", "批准", "Approve"),
    ("reject", "驳回", "Reject"),
    ("approved", "已批准", "Approved"),
    ("rejected", "已驳回", "Rejected"),
    ("pending", "待审批", "Pending"),
    ("request_change", "申请变更", "Request a change"),
    ("new_target", "新的目标值", "New target"),
    ("submit_request", "提交申请", "Submit"),
    ("nav_map", "对齐地图", "Alignment map"),
    ("alignment_map", "对齐地图", "Alignment map"),
    (
        "map_help",
        "从公司到部门再到个人，按对齐关系从左向右展开；颜色表示含下级在内的整体进度。点击方框查看目标，点击右侧的 − 折叠分支。",
        "From the company to units to people, left to right by alignment; colours show progress including everything below. Click a box to open it, the − on its right to fold a branch.",
    ),
    ("map_search_ph", "目标、关键结果或负责人", "Objective, key result or owner"),
    ("map_no_match", "没有匹配的目标。", "No objective matches."),
    ("map_hits", "个目标匹配（连同其上级链一起显示）", "objectives match (shown with the chain above them)"),
    ("nav_goals", "我的目标", "My goals"),
    ("nav_tree", "目标树", "Goal tree"),
    ("nav_kpis", "KPI", "KPIs"),
    ("my_goals", "我的目标", "My goals"),
    ("cycle", "周期", "Cycle"),
    ("show", "查看", "Show"),
    ("new_objective", "新建目标", "New objective"),
    ("my_okrs", "我的 OKR", "My OKRs"),
    ("okr_public", "全公司可见", "visible to the whole company"),
    (
        "no_okrs",
        "这个周期你还没有目标。先写一个方向，再给它 2–4 个可衡量的关键结果。",
        "You have no objectives in this cycle yet. Write a direction, then give it 2–4 measurable key results.",
    ),
    ("team_okrs", "团队的 OKR", "My team's OKRs"),
    ("my_kpis", "我的 KPI", "My KPIs"),
    ("kpi_private", "仅你、你的上级和 HR 可见", "visible only to you, your managers and HR"),
    ("kpi_board", "KPI 看板", "KPI board"),
    (
        "kpi_board_help",
        "这里只显示你有权查看的 KPI：你自己的、你下属的，以及（HR）全部。",
        "Only the KPIs you may see: your own, your reports', and (for HR) all of them.",
    ),
    ("no_kpis", "暂无 KPI。KPI 由你的上级或 HR 设定。", "No KPIs yet. Your manager or HR sets them."),
    ("kpi_name", "指标", "KPI"),
    ("target", "目标值", "Target"),
    ("thresholds", "考核线", "Thresholds"),
    ("pass", "达标", "pass"),
    ("warn", "预警", "warn"),
    ("fail", "不达标", "fail"),
    ("locked", "已锁定", "Locked"),
    ("derived_from", "来自", "from"),
    ("goal_tree", "目标树", "Goal tree"),
    ("whole_company", "全公司", "Whole company"),
    (
        "tree_help",
        "按对齐关系展开：每个目标显示含下级在内的整体进度（颜色：红 < 0.4 ≤ 黄 < 0.7 ≤ 绿）。",
        "Laid out by alignment: each objective shows its progress including what is aligned below it (red < 0.4 ≤ yellow < 0.7 ≤ green).",
    ),
    ("no_okrs_in_cycle", "这个周期还没有可见的目标。", "No visible objectives in this cycle yet."),
    ("krs", "个关键结果", "key results"),
    ("score", "得分", "Score"),
    ("rollup", "整体进度", "Roll-up"),
    ("current", "当前", "now"),
    ("aligned_to", "对齐到", "aligned to"),
    ("no_krs_yet", "还没有关键结果。", "No key results yet."),
    ("objective", "目标", "Objective"),
    ("publish", "发布", "Publish"),
    ("archive", "归档", "Archive"),
    ("key_results", "关键结果", "Key results"),
    ("shared_by", "共同承担：", "shared by"),
    ("adjust", "调整", "Adjust"),
    ("kr_title", "关键结果", "Key result"),
    ("adjust_reason", "调整原因", "Reason"),
    ("reason_ph", "周期进行中调整目标值或表述时必填", "Required when the cycle is running"),
    ("add_kr", "添加关键结果", "Add a key result"),
    ("kr_title_ph", "例如：顾客满意度从80%提升至90%", "e.g. Raise CSAT from 80% to 90%"),
    ("measure", "衡量方式", "Measure"),
    ("measure_increase", "提升", "Increase"),
    ("measure_decrease", "降低", "Decrease"),
    ("measure_stay_above", "保持不低于", "Stay above"),
    ("measure_stay_below", "保持不高于", "Stay below"),
    ("measure_milestone", "里程碑", "Milestone"),
    ("baseline", "基线", "Baseline"),
    ("unit_ph", "单位", "Unit"),
    ("aligned_below", "对齐到这里的目标", "Aligned below"),
    ("objective_title", "目标（方向）", "Objective (the direction)"),
    ("objective_ph", "例如：成为华东顾客首选的茶饮品牌", "e.g. Become the first choice for tea drinkers in East China"),
    ("owner", "负责人", "Owner"),
    ("me", "本人", "me"),
    ("align_to", "对齐到上级目标", "Align to"),
    ("not_aligned", "（暂不对齐）", "(not aligned)"),
    ("krs_help", "2–4 个，写结果而不是活动", "2–4, outcomes rather than activities"),
    ("check", "检查", "Check"),
    ("save_draft", "保存草稿", "Save draft"),
    ("hints", "目标质量提示", "Goal-quality hints"),
    (
        "hints_help",
        "边写边检查：活动型关键结果、无法衡量的描述、写成任务的目标等。",
        "Checked as you type: activities as key results, unmeasurable wording, objectives written as tasks.",
    ),
    ("hints_none", "没有发现问题。", "No problems found."),
    ("kind_committed", "承诺型", "Committed"),
    ("kind_aspirational", "挑战型", "Aspirational"),
    ("kind_learning", "探索型", "Learning"),
    ("status_draft", "草稿", "Draft"),
    ("status_published", "已发布", "Published"),
    ("status_archived", "已归档", "Archived"),
    ("app_name", "双轨", "Tandem"),
    ("tagline", "OKR 定方向，KPI 守底线", "OKRs set direction, KPIs hold the line"),
    ("nav_org", "组织架构", "Org chart"),
    ("nav_people", "人员", "People"),
    ("nav_cycles", "周期", "Cycles"),
    ("switch_lang", "English", "中文"),
    ("sign_in", "登录", "Sign in"),
    ("sign_out", "退出登录", "Sign out"),
    ("email", "邮箱", "Email"),
    ("password", "密码", "Password"),
    ("company", "公司标识（可选）", "Company (optional)"),
    ("company_hint", "仅当同一邮箱属于多个公司时需要填写", "Only needed when your email belongs to several companies"),
    ("login_title", "登录双轨", "Sign in to Tandem"),
    (
        "login_demo_hint",
        "演示账号密码均为 demo-2026，例如 admin@demo.example",
        "Demo accounts all use the password demo-2026, e.g. admin@demo.example",
    ),
    ("form_expired", "表单已过期，请重新提交", "The form expired; please submit it again"),
    ("org_title", "组织架构", "Org chart"),
    (
        "org_empty",
        "还没有任何组织。管理员可以在右侧添加第一个部门，或在“人员”页导入组织架构 CSV。",
        "No org units yet. An admin can add the first unit on the right, or import an org-chart CSV on the People page.",
    ),
    ("manager", "负责人", "Manager"),
    ("no_manager", "未指定负责人", "No manager"),
    ("members", "成员", "Members"),
    ("people_count", "人", "people"),
    ("add_unit", "添加部门", "Add a unit"),
    ("unit_name", "部门名称", "Unit name"),
    ("parent_unit", "上级部门", "Parent unit"),
    ("none_top", "（无，顶层）", "(none, top level)"),
    ("none", "（无）", "(none)"),
    ("save", "保存", "Save"),
    ("create", "创建", "Create"),
    ("edit", "编辑", "Edit"),
    ("back", "返回", "Back"),
    ("edit_unit", "编辑部门", "Edit unit"),
    ("saved", "已保存", "Saved"),
    ("created", "已创建", "Created"),
    ("people_title", "人员", "People"),
    ("search", "搜索", "Search"),
    ("search_people_ph", "姓名、邮箱或职位", "Name, email or title"),
    ("all_units", "全部部门", "All units"),
    ("name", "姓名", "Name"),
    ("title_col", "职位", "Title"),
    ("unit", "部门", "Unit"),
    ("reports_to", "直属上级", "Reports to"),
    ("roles", "角色", "Roles"),
    ("status", "状态", "Status"),
    ("active", "在职", "Active"),
    ("inactive", "已停用", "Inactive"),
    ("people_empty", "没有符合条件的人员。", "Nobody matches."),
    ("add_person", "添加人员", "Add a person"),
    ("initial_password", "初始密码（可选，至少 8 位）", "Initial password (optional, 8+ characters)"),
    ("role_admin", "管理员", "Admin"),
    ("role_hr", "HR", "HR"),
    ("import_title", "导入组织架构（CSV）", "Import an org chart (CSV)"),
    (
        "import_help",
        "UTF-8 编码，列：name/姓名、email/邮箱、unit/部门（必填），parent_unit/上级部门、title/职位、roles/角色、manager/负责人（可选）。先预览，确认后一次性写入；有任何错误都不会写入。",
        "UTF-8; columns name, email, unit (required), parent_unit, title, roles, manager (optional). Preview first, then confirm: it is written all at once, and nothing is written if any row is wrong.",
    ),
    ("csv_file", "CSV 文件", "CSV file"),
    ("or_paste", "或粘贴内容", "or paste its content"),
    ("preview", "预览", "Preview"),
    ("confirm_import", "确认导入", "Confirm import"),
    ("import_ok", "导入完成", "Import done"),
    (
        "import_preview_ok",
        "检查通过，尚未写入。确认后将：",
        "All rows are valid; nothing is written yet. Confirming will:",
    ),
    (
        "import_rejected",
        "导入被拒绝，未写入任何数据。请修正以下问题：",
        "Import rejected; nothing was written. Please fix:",
    ),
    ("row", "行", "Row"),
    ("column", "列", "Column"),
    ("reason", "原因", "Reason"),
    ("units_created", "新建部门", "Units created"),
    ("people_created", "新增人员", "People added"),
    ("people_updated", "更新人员", "People updated"),
    ("person_title", "人员详情", "Person"),
    ("account_active", "账号启用", "Account active"),
    ("history", "变更记录", "History"),
    ("history_empty", "暂无变更记录。", "No changes recorded yet."),
    ("cycles_title", "周期", "Cycles"),
    (
        "cycles_empty",
        "还没有周期。HR 可以在右侧创建第一个周期（例如“2026 Q4”）。",
        "No cycles yet. HR can create the first one on the right (e.g. “2026 Q4”).",
    ),
    ("cycle_name", "周期名称", "Cycle name"),
    ("kind", "类型", "Kind"),
    ("start", "开始日期", "Start"),
    ("end", "结束日期", "End"),
    ("parent_cycle", "所属上级周期", "Within cycle"),
    ("elapsed", "已过", "Elapsed"),
    ("add_cycle", "新建周期", "New cycle"),
    ("kind_year", "年度", "Year"),
    ("kind_half", "半年", "Half"),
    ("kind_quarter", "季度", "Quarter"),
    ("kind_month", "月度", "Month"),
    ("kind_week", "周", "Week"),
    ("move_to", "变更为", "Move to"),
    ("account_title", "我的账户", "My account"),
    ("profile", "个人信息", "Profile"),
    ("language", "界面语言", "Language"),
    ("change_password", "修改密码", "Change password"),
    ("current_password", "当前密码", "Current password"),
    ("new_password", "新密码（至少 8 位）", "New password (8+ characters)"),
    ("password_changed", "密码已修改，你的其他会话已退出。", "Password changed; your other sessions were signed out."),
    ("api_tokens", "API 令牌", "API tokens"),
    (
        "api_tokens_help",
        "供脚本和外部系统调用 API：请求头 Authorization: Bearer <令牌>。令牌只显示一次，只保存其哈希。",
        "For scripts and other systems: send Authorization: Bearer <token>. A token is shown once; only its hash is kept.",
    ),
    ("token_name", "令牌名称", "Token name"),
    ("create_token", "创建令牌", "Create token"),
    ("token_created", "新令牌（只显示这一次，请立即复制）：", "New token (shown this once; copy it now):"),
    ("revoke", "撤销", "Revoke"),
    ("revoked", "已撤销", "Revoked"),
    ("last_used", "最近使用", "Last used"),
    ("never", "从未", "Never"),
    ("created_at", "创建时间", "Created"),
    ("tokens_empty", "还没有 API 令牌。", "No API tokens yet."),
    ("not_found_title", "页面不存在", "Page not found"),
    ("not_found_body", "你要找的页面不存在，或你无权查看。", "The page does not exist, or you may not see it."),
    ("error_title", "出错了", "Something went wrong"),
    ("go_home", "返回首页", "Back to the start page"),
    ("admin_only", "仅管理员可修改组织架构。", "Only admins can change the org chart."),
    ("hr_only", "仅 HR 或管理员可管理周期。", "Only HR or admins can manage cycles."),
    ("people_admin_only", "仅 HR 或管理员可添加和修改人员。", "Only HR or admins can add and change people."),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `s("key")` in a template exists in the table, and every key is used somewhere.
    #[test]
    fn templates_and_table_agree() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut text = String::new();
        for sub in ["templates", "src"] {
            for entry in std::fs::read_dir(dir.join(sub)).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                        text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
                    }
                } else if p.file_name().is_some_and(|n| n != "i18n.rs") {
                    text.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
                }
            }
        }
        let mut used = std::collections::BTreeSet::new();
        for part in text.split(".s(\"").skip(1) {
            if let Some(end) = part.find('"') {
                used.insert(&part[..end]);
            }
        }
        let keys: std::collections::BTreeSet<_> = TABLE.iter().map(|(k, _, _)| *k).collect();
        let missing: Vec<_> = used.iter().filter(|k| !keys.contains(*k)).collect();
        assert!(missing.is_empty(), "keys used but not translated: {missing:?}");
        // Keys may also be passed as plain literals (page titles handed to the frame).
        let unused: Vec<_> =
            keys.iter().filter(|k| !used.contains(*k) && !text.contains(&format!("\"{k}\""))).collect();
        assert!(unused.is_empty(), "keys translated but never used: {unused:?}");
        assert_eq!(keys.len(), TABLE.len(), "a key appears twice");
        for (k, zh, en) in TABLE {
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
    }
}
