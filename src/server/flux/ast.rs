//! The Flux syntax tree: statements and expressions, as the parser reads them.

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `import "path"`: the packages of the subset need none, so it is checked and ignored.
    Import(String),
    /// `option name = expr` (or `option pkg.name = expr`).
    Option { name: String, value: Expr },
    /// `name = expr`
    Assign { name: String, value: Expr },
    /// A bare expression: a pipeline whose tables are a result.
    Expr(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    RegexMatch,
    RegexNotMatch,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
    Exists,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub default: Option<Expr>,
    /// `tables=<-`: the parameter the piped-in stream binds to.
    pub pipe: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Ident(String),
    Int(i64),
    Float(f64),
    Str(String),
    Duration(i64),
    Months(i64),
    Time(i64),
    Regex(String),
    Array(Vec<Expr>),
    Record(Vec<(String, Expr)>),
    Member(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    /// A call with its named arguments.
    Call(Box<Expr>, Vec<(String, Expr)>),
    /// `left |> call`
    Pipe(Box<Expr>, Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a and b and …` or `a or b or …` (`BinOp::And` / `BinOp::Or`), kept flat so that long
    /// generated predicates do not make deep trees.
    Chain(BinOp, Vec<Expr>),
    Function(Vec<Param>, Box<Expr>),
    /// `if c then a else b`
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
}
