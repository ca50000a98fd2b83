//! Tokens → statements: a precedence-climbing parser over Flux's grammar (logical `or`/`and`,
//! `not`/`exists`, comparisons, arithmetic, `|>` pipes, calls, members, literals, functions).

use super::ast::{BinOp, Expr, Param, Statement, UnaryOp};
use super::error::{FluxError, FluxResult};
use super::lexer::{tokenize, Tok, Token};

/// A syntax tree deeper than this (nesting and chained operators together) is refused, so
/// that evaluating and dropping it cannot exhaust the stack.
const MAX_DEPTH: usize = 100;
/// Parentheses, brackets, calls and `not`s nested deeper than this are refused: each level
/// costs the recursive-descent parser a dozen frames.
const MAX_NESTING: usize = 32;

pub fn parse(src: &str) -> FluxResult<Vec<Statement>> {
    let tokens = tokenize(src)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
        nesting: 0,
    };
    let mut statements = Vec::new();
    while parser.peek() != &Tok::Eof {
        statements.push(parser.statement()?);
    }
    Ok(statements)
}

/// One term as itself, several as a flat chain.
fn chain(op: BinOp, mut terms: Vec<Expr>) -> Expr {
    if terms.len() == 1 {
        terms.remove(0)
    } else {
        Expr::Chain(op, terms)
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    nesting: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.at].tok
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.at + ahead).min(last)].tok
    }

    fn next(&mut self) -> Tok {
        let tok = self.tokens[self.at].tok.clone();
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
        tok
    }

    fn error(&self, message: &str) -> FluxError {
        let token = &self.tokens[self.at];
        FluxError::Compile(format!("error @{}:{}: {message}", token.line, token.col))
    }

    fn unexpected(&self, wanted: &str) -> FluxError {
        let found = match self.peek() {
            Tok::Eof => "EOF".to_string(),
            Tok::Op(op) => op.to_string(),
            Tok::Ident(name) => name.clone(),
            other => format!("{other:?}"),
        };
        self.error(&format!("expected {wanted}, got {found}"))
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_ident(&self, name: &str) -> bool {
        matches!(self.peek(), Tok::Ident(n) if n == name)
    }

    fn expect_op(&mut self, op: &str) -> FluxResult<()> {
        if self.is_op(op) {
            self.next();
            Ok(())
        } else {
            Err(self.unexpected(op))
        }
    }

    fn ident(&mut self) -> FluxResult<String> {
        match self.peek() {
            Tok::Ident(name) => {
                let name = name.clone();
                self.next();
                Ok(name)
            }
            _ => Err(self.unexpected("identifier")),
        }
    }

    fn statement(&mut self) -> FluxResult<Statement> {
        if self.is_ident("import") {
            self.next();
            return match self.next() {
                Tok::Str(path) => Ok(Statement::Import(path)),
                _ => Err(self.error("expected a string after import")),
            };
        }
        if self.is_ident("option") {
            self.next();
            let mut name = self.ident()?;
            if self.is_op(".") {
                self.next();
                name = format!("{name}.{}", self.ident()?);
            }
            self.expect_op("=")?;
            let value = self.expr()?;
            return Ok(Statement::Option { name, value });
        }
        if let (Tok::Ident(name), Tok::Op("=")) = (self.peek(), self.peek_at(1)) {
            let name = name.clone();
            self.next();
            self.next();
            let value = self.expr()?;
            return Ok(Statement::Assign { name, value });
        }
        if self.is_ident("return") || self.is_ident("builtin") || self.is_ident("testcase") {
            return Err(self.error("unexpected statement"));
        }
        Ok(Statement::Expr(self.expr()?))
    }

    fn expr(&mut self) -> FluxResult<Expr> {
        let base = self.depth;
        self.deeper()?;
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error("expression is nested too deeply"));
        }
        let result = self.conditional();
        self.nesting -= 1;
        self.depth = base;
        result
    }

    /// One more level of the tree; every loop that chains operators calls it per link.
    fn deeper(&mut self) -> FluxResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("expression is nested too deeply"));
        }
        Ok(())
    }

    fn conditional(&mut self) -> FluxResult<Expr> {
        if self.is_ident("if") {
            self.next();
            let test = self.expr()?;
            if !self.is_ident("then") {
                return Err(self.unexpected("then"));
            }
            self.next();
            let then = self.expr()?;
            if !self.is_ident("else") {
                return Err(self.unexpected("else"));
            }
            self.next();
            let otherwise = self.expr()?;
            return Ok(Expr::Conditional(
                Box::new(test),
                Box::new(then),
                Box::new(otherwise),
            ));
        }
        self.or()
    }

    fn or(&mut self) -> FluxResult<Expr> {
        let mut terms = vec![self.and()?];
        while self.is_ident("or") {
            self.next();
            terms.push(self.and()?);
        }
        Ok(chain(BinOp::Or, terms))
    }

    fn and(&mut self) -> FluxResult<Expr> {
        let mut terms = vec![self.unary_logical()?];
        while self.is_ident("and") {
            self.next();
            terms.push(self.unary_logical()?);
        }
        Ok(chain(BinOp::And, terms))
    }

    fn unary_logical(&mut self) -> FluxResult<Expr> {
        let op = if self.is_ident("not") {
            UnaryOp::Not
        } else if self.is_ident("exists") {
            UnaryOp::Exists
        } else {
            return self.comparison();
        };
        self.next();
        let base = self.depth;
        self.deeper()?;
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error("expression is nested too deeply"));
        }
        let operand = self.unary_logical();
        self.nesting -= 1;
        self.depth = base;
        Ok(Expr::Unary(op, Box::new(operand?)))
    }

    fn comparison(&mut self) -> FluxResult<Expr> {
        let base = self.depth;
        let mut left = self.additive()?;
        loop {
            let op = match self.peek() {
                Tok::Op("==") => BinOp::Eq,
                Tok::Op("!=") => BinOp::Ne,
                Tok::Op("<") => BinOp::Lt,
                Tok::Op("<=") => BinOp::Le,
                Tok::Op(">") => BinOp::Gt,
                Tok::Op(">=") => BinOp::Ge,
                Tok::Op("=~") => BinOp::RegexMatch,
                Tok::Op("!~") => BinOp::RegexNotMatch,
                _ => {
                    self.depth = base;
                    return Ok(left);
                }
            };
            self.next();
            self.deeper()?;
            let right = self.additive()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn additive(&mut self) -> FluxResult<Expr> {
        let base = self.depth;
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => BinOp::Add,
                Tok::Op("-") => BinOp::Sub,
                _ => {
                    self.depth = base;
                    return Ok(left);
                }
            };
            self.next();
            self.deeper()?;
            let right = self.multiplicative()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> FluxResult<Expr> {
        let base = self.depth;
        let mut left = self.pipe()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => BinOp::Mul,
                Tok::Op("/") => BinOp::Div,
                Tok::Op("%") => BinOp::Mod,
                _ => {
                    self.depth = base;
                    return Ok(left);
                }
            };
            self.next();
            self.deeper()?;
            let right = self.pipe()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn pipe(&mut self) -> FluxResult<Expr> {
        let base = self.depth;
        let mut left = self.unary()?;
        while self.is_op("|>") {
            self.next();
            self.deeper()?;
            let call = self.postfix()?;
            if !matches!(call, Expr::Call(..)) {
                return Err(self.error("pipe destination must be a function call"));
            }
            left = Expr::Pipe(Box::new(left), Box::new(call));
        }
        self.depth = base;
        Ok(left)
    }

    fn unary(&mut self) -> FluxResult<Expr> {
        if self.is_op("-") || self.is_op("+") {
            let negative = self.is_op("-");
            self.next();
            let operand = self.postfix()?;
            return Ok(match (negative, operand) {
                (false, operand) => operand,
                (true, Expr::Int(i)) => Expr::Int(-i),
                (true, Expr::Float(f)) => Expr::Float(-f),
                (true, Expr::Duration(d)) => Expr::Duration(-d),
                (true, Expr::Months(m)) => Expr::Months(-m),
                (true, operand) => Expr::Unary(UnaryOp::Neg, Box::new(operand)),
            });
        }
        self.postfix()
    }

    fn postfix(&mut self) -> FluxResult<Expr> {
        let base = self.depth;
        let mut expr = self.primary()?;
        loop {
            self.deeper()?;
            if self.is_op(".") {
                self.next();
                expr = Expr::Member(Box::new(expr), self.ident()?);
            } else if self.is_op("[") {
                self.next();
                let index = self.expr()?;
                self.expect_op("]")?;
                expr = match index {
                    Expr::Str(name) => Expr::Member(Box::new(expr), name),
                    index => Expr::Index(Box::new(expr), Box::new(index)),
                };
            } else if self.is_op("(") {
                self.next();
                let arguments = self.arguments()?;
                expr = Expr::Call(Box::new(expr), arguments);
            } else {
                self.depth = base;
                return Ok(expr);
            }
        }
    }

    /// `name: expr, …)` — Flux passes arguments by name; `f(x)` is shorthand for `f(x: x)`.
    fn arguments(&mut self) -> FluxResult<Vec<(String, Expr)>> {
        let mut arguments = Vec::new();
        while !self.is_op(")") {
            let name = self.ident()?;
            let value = if self.is_op(":") {
                self.next();
                self.expr()?
            } else {
                Expr::Ident(name.clone())
            };
            if arguments.iter().any(|(n, _)| n == &name) {
                return Err(self.error(&format!("duplicate argument {name:?}")));
            }
            arguments.push((name, value));
            if !self.is_op(",") {
                break;
            }
            self.next();
        }
        self.expect_op(")")?;
        Ok(arguments)
    }

    /// Whether the `(` here opens a function's parameters: `(…) =>`.
    fn opens_function(&self) -> bool {
        let mut depth = 0usize;
        let mut ahead = 0;
        loop {
            match self.peek_at(ahead) {
                Tok::Op("(") => depth += 1,
                Tok::Op(")") => {
                    depth -= 1;
                    if depth == 0 {
                        return matches!(self.peek_at(ahead + 1), Tok::Op("=>"));
                    }
                }
                Tok::Eof => return false,
                _ => {}
            }
            ahead += 1;
        }
    }

    fn primary(&mut self) -> FluxResult<Expr> {
        if self.is_op("(") {
            if self.opens_function() {
                return self.function();
            }
            self.next();
            let inner = self.expr()?;
            self.expect_op(")")?;
            return Ok(inner);
        }
        if self.is_op("[") {
            self.next();
            let mut items = Vec::new();
            while !self.is_op("]") {
                items.push(self.expr()?);
                if !self.is_op(",") {
                    break;
                }
                self.next();
            }
            self.expect_op("]")?;
            return Ok(Expr::Array(items));
        }
        if self.is_op("{") {
            self.next();
            let mut fields = Vec::new();
            while !self.is_op("}") {
                let name = match self.next() {
                    Tok::Ident(name) | Tok::Str(name) => name,
                    _ => return Err(self.error("expected a record property name")),
                };
                if self.is_ident("with") {
                    return Err(FluxError::unsupported("record extension (with)"));
                }
                self.expect_op(":")?;
                fields.push((name, self.expr()?));
                if !self.is_op(",") {
                    break;
                }
                self.next();
            }
            self.expect_op("}")?;
            return Ok(Expr::Record(fields));
        }
        let expr = match self.peek().clone() {
            Tok::Ident(name) => Expr::Ident(name),
            Tok::Int(i) => Expr::Int(i),
            Tok::Float(f) => Expr::Float(f),
            Tok::Str(s) => Expr::Str(s),
            Tok::Duration(d) => Expr::Duration(d),
            Tok::Months(m) => Expr::Months(m),
            Tok::Time(t) => Expr::Time(t),
            Tok::Regex(r) => Expr::Regex(r),
            _ => return Err(self.unexpected("an expression")),
        };
        self.next();
        Ok(expr)
    }

    /// `(a, b=1, tables=<-) => body` or `=> { return body }`.
    fn function(&mut self) -> FluxResult<Expr> {
        self.expect_op("(")?;
        let mut params = Vec::new();
        while !self.is_op(")") {
            let name = self.ident()?;
            let mut param = Param {
                name,
                default: None,
                pipe: false,
            };
            if self.is_op("=") {
                self.next();
                if self.is_op("<-") {
                    self.next();
                    param.pipe = true;
                } else {
                    param.default = Some(self.expr()?);
                }
            }
            params.push(param);
            if !self.is_op(",") {
                break;
            }
            self.next();
        }
        self.expect_op(")")?;
        self.expect_op("=>")?;
        let body = if self.is_op("{") {
            self.next();
            if !self.is_ident("return") {
                return Err(FluxError::unsupported(
                    "a function block other than `{ return … }`",
                ));
            }
            self.next();
            let body = self.expr()?;
            self.expect_op("}")?;
            body
        } else {
            self.expr()?
        };
        Ok(Expr::Function(params, Box::new(body)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Expr {
        match parse(src).unwrap().pop().unwrap() {
            Statement::Expr(e) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pipes_bind_tighter_than_logic_and_comparison() {
        let e = one("r._value > 1 and not r.host == \"a\" or exists r.x");
        let Expr::Chain(BinOp::Or, terms) = e else {
            panic!()
        };
        assert!(matches!(terms[0], Expr::Chain(BinOp::And, _)));
        assert!(matches!(terms[1], Expr::Unary(UnaryOp::Exists, _)));
        let p = one("from(bucket: \"b\") |> range(start: -1h) |> yield()");
        let Expr::Pipe(inner, call) = p else { panic!() };
        assert!(matches!(*inner, Expr::Pipe(..)));
        assert!(matches!(*call, Expr::Call(..)));
    }

    #[test]
    fn functions_members_records_and_statements() {
        let statements = parse(
            "import \"strings\"\noption v = {a: 1}\ndata = from(bucket: \"b\")\n\
             data |> filter(fn: (r) => r[\"host\"] =~ /a.*/) |> rename(columns: {a: \"b\"})",
        )
        .unwrap();
        assert_eq!(statements.len(), 4);
        assert_eq!(statements[0], Statement::Import("strings".into()));
        let Statement::Expr(Expr::Pipe(filter, _)) = &statements[3] else {
            panic!()
        };
        let Expr::Pipe(_, call) = &**filter else {
            panic!()
        };
        let Expr::Call(_, arguments) = &**call else {
            panic!()
        };
        let Expr::Function(params, body) = &arguments[0].1 else {
            panic!()
        };
        assert_eq!(params[0].name, "r");
        assert!(matches!(
            &**body,
            Expr::Binary(BinOp::RegexMatch, left, _) if **left == Expr::Member(Box::new(Expr::Ident("r".into())), "host".into())
        ));
        let f = one("(column, tables=<-) => tables |> mean(column)");
        let Expr::Function(params, _) = f else {
            panic!()
        };
        assert!(params[1].pipe);
    }

    #[test]
    fn malformed_scripts_are_errors_not_panics() {
        for src in [
            "from(",
            "from(bucket:)",
            "|> range()",
            "a |> b",
            "(r) =>",
            "[1, 2",
            "{a 1}",
            "f(a: 1, a: 2)",
            "x = ",
            "if a then b",
            ")",
        ] {
            assert!(parse(src).is_err(), "{src}");
        }
        let deep = "(".repeat(10_000);
        assert!(parse(&deep).is_err());
        let sums = vec!["1"; 10_000].join(" + ");
        assert!(parse(&sums).is_err());
        let pipes = "x".to_string() + &" |> f()".repeat(10_000);
        assert!(parse(&pipes).is_err());
        let long_or = vec!["r.a == 1"; 10_000].join(" or ");
        assert!(parse(&long_or).is_ok());
        let nots = "not ".repeat(10_000) + "true";
        assert!(parse(&nots).is_err());
    }
}
