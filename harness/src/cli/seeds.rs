//! Seed lists and shards as written on the command line.

use std::str::FromStr;

/// Seeds to run: `7`, `1..1000` (both ends included: 1000 seeds) or `1,5,9`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeds(pub Vec<u64>);

impl FromStr for Seeds {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected seeds like 7, 1..1000 or 1,5,9; found {s:?}");
        if let Some((a, b)) = s.split_once("..") {
            let a: u64 = a.trim().parse().map_err(|_| bad())?;
            let b: u64 = b
                .trim()
                .trim_start_matches('=')
                .parse()
                .map_err(|_| bad())?;
            if b < a {
                return Err(format!("seed range {s:?} ends before it starts"));
            }
            if b - a >= 10_000_000 {
                return Err(format!(
                    "seed range {s:?} is over 10 million seeds; split it with --shard"
                ));
            }
            return Ok(Seeds((a..=b).collect()));
        }
        s.split(',')
            .map(|p| p.trim().parse::<u64>().map_err(|_| bad()))
            .collect::<Result<Vec<_>, _>>()
            .map(Seeds)
    }
}

/// Shard `index` of `count` (1-based), as `--shard 2/4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 1 to `count`.
    pub index: usize,
    /// How many shards the work is split into.
    pub count: usize,
}

impl Shard {
    /// Whether work item `k` (0-based, in the run's fixed order) belongs to this shard.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("expected a shard like 2/4 (this job's number / number of jobs), found {s:?}")
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard {s:?}: the number must be between 1 and {count}"
            ));
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_include_both_ends() {
        assert_eq!("1..3".parse::<Seeds>(), Ok(Seeds(vec![1, 2, 3])));
        assert_eq!("1..=3".parse::<Seeds>(), Ok(Seeds(vec![1, 2, 3])));
        assert_eq!("4,2".parse::<Seeds>(), Ok(Seeds(vec![4, 2])));
        assert!("3..1".parse::<Seeds>().unwrap_err().contains("ends before"));
        assert!("x".parse::<Seeds>().is_err());
    }

    #[test]
    fn shards_partition_the_work() {
        let shards: Vec<Shard> = (1..=3).map(|i| format!("{i}/3").parse().unwrap()).collect();
        for k in 0..30 {
            assert_eq!(shards.iter().filter(|s| s.owns(k)).count(), 1);
        }
        assert!("0/3".parse::<Shard>().is_err() && "4/3".parse::<Shard>().is_err());
    }
}
